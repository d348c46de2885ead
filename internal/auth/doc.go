// Package auth holds Loquat's accounts, roles, API tokens, browser
// sessions and the access log, and the Gin middleware that authenticates
// every /api/v1 request (README.md in this directory has the details).
//
// Everything lives in accounts.db, an SQLite file in the data dir of the
// node that serves the API — not in the event log. A revoked token or a
// disabled account must fail on its very next request, which a projection
// of the log (applied asynchronously, and dropped by every rebuild) cannot
// promise; and password hashes and token hashes do not belong in a log
// that is replayed, copied to Kafka and kept for ever. The access log is
// in the same file, append-only (triggers refuse UPDATE and DELETE).
//
// Scope: a Principal's Scope (projections.Scope) is what the queries
// compose answers for; the middleware only authenticates.
package auth
