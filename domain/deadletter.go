package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// DeadLetter is an input that could not be decoded or validated. It keeps the
// raw bytes and the reason so nothing is lost and the problem can be fixed and
// the input replayed. It is not an Event: it never changes a figure.
type DeadLetter struct {
	ID string `json:"id"`
	// Source names the adapter and input, e.g. "douyin" or "file:orders.csv:3".
	Source     string    `json:"source"`
	Reason     string    `json:"reason"`
	Raw        []byte    `json:"raw"`
	ReceivedAt time.Time `json:"received_at"`
}

// NewDeadLetter builds a dead letter whose ID derives from its source, reason
// and bytes, so a rejected input sent again is kept once.
func NewDeadLetter(source, reason string, raw []byte, receivedAt time.Time) DeadLetter {
	h := sha256.New()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(reason))
	h.Write([]byte{0})
	h.Write(raw)
	return DeadLetter{
		ID:         hex.EncodeToString(h.Sum(nil)[:16]),
		Source:     source,
		Reason:     reason,
		Raw:        append([]byte(nil), raw...),
		ReceivedAt: receivedAt,
	}
}
