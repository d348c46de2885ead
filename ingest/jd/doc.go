// Package jd polls JD (京东) POP orders through jingdong.pop.order.search,
// window by window of `modified` time, and appends the domain events they
// make to an ingest.Sink; an order (or a page) that cannot be decoded or
// validated becomes a dead letter. The poller's position is a window end kept
// in an ingest.CursorStore, saved only after that window's events were
// appended. README.md has the request, the field and state mapping, and the
// decisions behind them; jdsim is a simulated JD for tests and demos.
package jd
