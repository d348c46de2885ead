package polling

import "log/slog"

// Secret is a credential (an app or sign secret, an access token). It
// prints, marshals and logs as "[redacted]" so a Config can be logged or
// dumped without leaking it; read the value with string(s) only where it is
// used.
type Secret string

const redacted = "[redacted]"

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
