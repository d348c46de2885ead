package projections

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the line's JSON to dst: the same bytes as
// json.Marshal(s), written without reflection. Every committed line is
// encoded once per commit (tens of thousands per batch in a replay), and
// the reflective encoders were a tenth of the ClickHouse projector's CPU.
// TestStoredLineAppendJSON holds it to encoding/json.
func (s StoredLine) AppendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, '{')
	sep := false
	if p := s.Payment; p != nil {
		dst = append(dst, `"p":{"event_id":`...)
		dst = appendString(dst, p.EventID)
		dst = append(dst, `,"created_at":`...)
		if dst, err = appendTime(dst, p.CreatedAt); err != nil {
			return nil, err
		}
		dst = append(dst, `,"paid_at":`...)
		if dst, err = appendTime(dst, p.PaidAt); err != nil {
			return nil, err
		}
		if p.BuyerRef != "" {
			dst = append(dst, `,"buyer_ref":`...)
			dst = appendString(dst, p.BuyerRef)
		}
		dst = append(dst, `,"line_id":`...)
		dst = appendString(dst, p.LineID)
		dst = append(dst, `,"sku_id":`...)
		dst = appendString(dst, p.SKUID)
		if p.ProductName != "" {
			dst = append(dst, `,"product_name":`...)
			dst = appendString(dst, p.ProductName)
		}
		dst = append(dst, `,"quantity":`...)
		dst = strconv.AppendInt(dst, p.Quantity, 10)
		dst = append(dst, `,"amount_fen":`...)
		dst = strconv.AppendInt(dst, int64(p.AmountFen), 10)
		if ls := p.Livestream; ls != nil {
			dst = append(dst, `,"livestream":{"room_id":`...)
			dst = appendString(dst, ls.RoomID)
			if ls.AnchorID != "" {
				dst = append(dst, `,"anchor_id":`...)
				dst = appendString(dst, ls.AnchorID)
			}
			if ls.AnchorName != "" {
				dst = append(dst, `,"anchor_name":`...)
				dst = appendString(dst, ls.AnchorName)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
		sep = true
	}
	if len(s.Refunds) > 0 {
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, `"r":[`...)
		for i, r := range s.Refunds {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"id":`...)
			dst = appendString(dst, r.ID)
			dst = append(dst, `,"amount_fen":`...)
			dst = strconv.AppendInt(dst, int64(r.AmountFen), 10)
			dst = append(dst, `,"at":`...)
			if dst, err = appendTime(dst, r.At); err != nil {
				return nil, err
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
		sep = true
	}
	if s.Listing != "" {
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, `"l":`...)
		dst = appendString(dst, s.Listing)
		sep = true
	}
	if len(s.Corrections) > 0 {
		if sep {
			dst = append(dst, ',')
		}
		b, err := json.Marshal(s.Corrections)
		if err != nil {
			return nil, err
		}
		dst = append(dst, `"c":`...)
		dst = append(dst, b...)
	}
	return append(dst, '}'), nil
}

// appendString appends s as a JSON string. Printable ASCII without the
// characters encoding/json escapes is copied as it is; anything else (HTML
// characters, control characters, non-ASCII, invalid UTF-8) is left to
// encoding/json, whose escaping is the reference.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendTime appends t as time.Time's MarshalJSON does, and fails where it
// fails (years outside 0–9999, zone offsets beyond a day).
func appendTime(dst []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		_, err := t.MarshalJSON()
		return nil, err
	}
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		_, err := t.MarshalJSON()
		return nil, err
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), nil
}
