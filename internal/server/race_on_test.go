//go:build race

package server_test

// raceDetector is true in a -race build, which runs the node's pure-Go
// SQLite several times slower: tests that feed it thousands of inputs feed
// it fewer then.
const raceDetector = true
