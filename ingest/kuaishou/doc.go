// Package kuaishou polls Kuaishou shop (快手小店) orders through
// open.order.cursor.list, window by window of update time and cursor by
// cursor within a window, and appends the domain events they make to an
// ingest.Sink; an order (or a page) that cannot be decoded or validated
// becomes a dead letter. The poller's position — the window and the
// platform's pcursor — is kept in an ingest.CursorStore after every page's
// events were appended. README.md has the request, the field and status
// mapping, and the decisions behind them; kuaishousim is a simulated
// platform for tests and demos.
package kuaishou
