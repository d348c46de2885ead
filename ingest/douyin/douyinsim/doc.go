// Package douyinsim simulates the 抖店 (Douyin shop) open platform for tests
// and for `loquat demo`: an order book served through order.orderDetail
// (Platform), a generator of seeded livestream days with the figures they
// must add up to (GenerateLiveDay, Ledger), and a Pusher that delivers the
// day's messages in signed batches the way the platform pushes them.
//
// Its signing code is written from the platform's documents, independently of
// the adapter in package douyin, so that a signing bug on either side fails a
// test instead of being shared by both.
package douyinsim
