// Package kuaishousim simulates the Kuaishou shop (快手小店) open platform's
// order list for tests and demos: an order book whose orders change over
// time (Platform), served through open.order.cursor.list exactly in the
// shape of samples/kuaishou-order-cursor-list.json, and a generator of
// thousands of orders with the figures they must add up to (Generate,
// Ledger).
//
// Its request checks and signing are written from the platform's documents,
// independently of the adapter in package kuaishou, so that a signing bug on
// either side fails a test instead of being shared by both.
package kuaishousim
