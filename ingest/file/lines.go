package file

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxLineBytes bounds the memory one line may take: a longer line (a binary
// file, a missing newline) is rejected and only its first maxLineBytes are
// kept in the dead letter.
const maxLineBytes = 1 << 20

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// countingReader reports the bytes read so far to an optional progress func.
type countingReader struct {
	r        io.Reader
	n        int64
	progress func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		if c.progress != nil {
			c.progress(c.n)
		}
	}
	return n, err
}

// lineReader splits input into physical lines, keeping each line's raw bytes
// for dead letters. It is our own splitter, not csv.Reader's, so that a row's
// raw bytes and line number are exactly those of the file.
type lineReader struct {
	br  *bufio.Reader
	num int // number of the line last returned, from 1
	buf []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its "\n" or "\r\n" (and, on line 1,
// without a UTF-8 BOM). tooLong reports a line cut at maxLineBytes. The line
// is valid until the next call. err is io.EOF after the last line.
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	l.buf = l.buf[:0]
	read := 0
	for {
		chunk, err := l.br.ReadSlice('\n')
		read += len(chunk)
		// Keep two bytes more than the limit so a "\r\n" is not miscounted.
		if room := maxLineBytes + 2 - len(l.buf); room > 0 {
			l.buf = append(l.buf, chunk[:min(len(chunk), room)]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF && read == 0 {
			return nil, false, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, false, err
		}
		break
	}
	l.num++
	line = bytes.TrimSuffix(l.buf, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if l.num == 1 {
		line = bytes.TrimPrefix(line, utf8BOM)
	}
	if len(line) > maxLineBytes {
		return line[:maxLineBytes], true, nil
	}
	return line, false, nil
}

func isBlank(line []byte) bool { return len(bytes.TrimSpace(line)) == 0 }
