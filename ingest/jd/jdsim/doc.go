// Package jdsim simulates JD's (京东) order search for tests and demos: an
// order book whose orders change over time (Platform), served through
// jingdong.pop.order.search exactly in the shape of samples/jd-order-search.json,
// and a generator of thousands of orders with the figures they must add up
// to (Generate, Ledger).
//
// Its request checks and signing are written from JD's documents,
// independently of the adapter in package jd, so that a signing bug on
// either side fails a test instead of being shared by both.
package jdsim
