// Package domain holds Loquat's business rules: money in fen, China-time days,
// the events that make up the log, the registry of villages, households,
// enterprises and listings, the order-line lifecycle, and attribution by the
// largest-remainder method.
//
// The package is pure: it imports only the standard library and does no I/O,
// so every adapter (ingest, event log, read-model store, API) depends on it and
// never the other way round.
package domain
