package registry

import (
	"errors"
	"strings"

	"github.com/loquat-dev/loquat/ingest"
)

// guessEncoding says what a registry file that is not UTF-8 probably is and
// what to do, for the error. The guess is ingest.DecodeText's, the one file
// imports make (UTF-16 by its byte-order mark, GB18030/GBK when the line
// decodes cleanly to Chinese text); the advice is a registry file's.
func guessEncoding(data []byte) string {
	var e *ingest.EncodingError
	if _, err := ingest.DecodeText(data, ingest.EncodingUTF8); errors.As(err, &e) {
		switch {
		case strings.HasPrefix(e.Likely, "UTF-16"):
			return "it starts with a UTF-16 byte-order mark; save it as UTF-8 and load that"
		case strings.HasPrefix(e.Likely, "GB18030"):
			return "it looks like GB18030/GBK (the encoding Excel and WPS save text in on Chinese Windows); " +
				"save it as UTF-8 (e.g. iconv -f GB18030 -t UTF-8 FILE > FILE.utf8.json) and load that"
		}
	}
	return "the encoding is not recognised; save it as UTF-8 and load that"
}
