// Package douyin ingests 抖店 (Douyin shop) message pushes: it verifies each
// push's signature, fetches the line items of paid and cancelled orders
// through order.orderDetail, and appends the domain events to an
// ingest.Sink; what cannot be decoded or validated becomes a dead letter.
// README.md has the field and tag mapping and what each answer means.
package douyin
