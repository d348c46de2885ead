package ingest_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/loquat-dev/loquat/ingest"
)

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeText: UTF-8 passes (BOM dropped), GBK is refused naming the
// line and the likely encoding unless declared, then read exactly.
func TestDecodeText(t *testing.T) {
	const text = "household_id,name\nH-1,枇杷岭村\nH-2,张三\n"
	tests := []struct {
		name    string
		data    []byte
		enc     ingest.Encoding
		want    string
		wantErr string
	}{
		{"utf-8", []byte(text), ingest.EncodingUTF8, text, ""},
		{"utf-8 with BOM", append([]byte("\ufeff"), text...), ingest.EncodingUTF8, text, ""},
		{"BOM wins over a gb18030 declaration", append([]byte("\ufeff"), text...), ingest.EncodingGB18030, text, ""},
		{"GBK undeclared", gbk(t, text), ingest.EncodingUTF8, "", "line 2 is not utf-8 text; it looks like GB18030/GBK"},
		{"GBK declared", gbk(t, text), ingest.EncodingGB18030, text, ""},
		{"GBK with a GB18030-only character", append(gbk(t, text), 0x81, 0x30, 0x81, 0x30), ingest.EncodingGB18030, text + "\u0080", ""},
		{"not GB18030 either", append(gbk(t, text), 0xFF, 0xFF), ingest.EncodingGB18030, "", "line 4 is not gb18030 text either"},
		{"UTF-16", []byte{0xFF, 0xFE, 'h', 0, 'i', 0}, ingest.EncodingUTF8, "", `UTF-16 (Excel's "Unicode text")`},
		{"garbled before it came", []byte("H-1,\ufffd\ufffd\n"), ingest.EncodingUTF8, "", "line 1 is not utf-8 text; save the file as UTF-8"},
		{"Latin-1", []byte("name\nJos\xe9\n"), ingest.EncodingUTF8, "", "line 2 is not utf-8 text; save the file as UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.DecodeText(tt.data, tt.enc)
			if tt.wantErr != "" {
				if !errors.Is(err, ingest.ErrEncoding) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want ErrEncoding saying %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestTextReader: the streaming decoder gives what DecodeText gives.
func TestTextReader(t *testing.T) {
	const text = "订单号,金额\n832-1,89.00\n"
	for _, tt := range []struct {
		name string
		data []byte
		enc  ingest.Encoding
		want string
	}{
		{"gb18030", gbk(t, text), ingest.EncodingGB18030, text},
		{"utf-8 untouched", []byte(text), ingest.EncodingUTF8, text},
		{"BOM keeps it utf-8", append([]byte("\ufeff"), text...), ingest.EncodingGB18030, "\ufeff" + text},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := io.ReadAll(ingest.TextReader(bytes.NewReader(tt.data), tt.enc))
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseEncoding(t *testing.T) {
	for name, want := range map[string]ingest.Encoding{"": ingest.EncodingUTF8, "UTF-8": ingest.EncodingUTF8, "utf8": ingest.EncodingUTF8,
		"gb18030": ingest.EncodingGB18030, "GBK": ingest.EncodingGB18030, "gb2312": ingest.EncodingGB18030, "cp936": ingest.EncodingGB18030} {
		if got, err := ingest.ParseEncoding(name); err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := ingest.ParseEncoding("big5"); err == nil || !strings.Contains(err.Error(), `"big5"`) {
		t.Errorf("big5: got %v, want an error naming it", err)
	}
}
