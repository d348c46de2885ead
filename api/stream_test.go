package api_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

// TestStreamScope: the stream is authenticated and scoped as the page's
// GET: refused with the GET's status before it starts, and when served,
// its first message is the GET's body for that caller.
func TestStreamScope(t *testing.T) {
	base, tokens := guardedAPI(t)
	for _, tc := range []struct {
		query, get, token string
		status            int
	}{
		{"page=overview", "/api/v1/overview", "", http.StatusUnauthorized},
		{"page=enterprise&id=E1", "/api/v1/enterprises/E1", "v1", http.StatusForbidden},
		{"page=enterprise&id=E2", "/api/v1/enterprises/E2", "e1", http.StatusNotFound},
		{"page=enterprise&id=E1&from=2021-01-01", "/api/v1/enterprises/E1?from=2021-01-01", "e1", http.StatusOK},
		{"page=enterprise&id=E2", "/api/v1/enterprises/E2", "audit", http.StatusOK},
		{"page=overview&to=2021-01-05", "/api/v1/overview?to=2021-01-05", "audit", http.StatusOK},
		{"page=overview", "/api/v1/overview", "e1", 0}, // whatever the GET answers an enterprise
		{"page=overview", "/api/v1/overview", "v1", 0},
	} {
		req, err := http.NewRequest("GET", base+"/api/v1/stream?"+tc.query, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tokens[tc.token])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		getStatus, _, want := fetch(t, base+tc.get, tokens[tc.token])
		if resp.StatusCode != getStatus || (tc.status != 0 && resp.StatusCode != tc.status) {
			t.Errorf("stream?%s as %q: %d; GET %s answers %d, want %d", tc.query, tc.token, resp.StatusCode, tc.get, getStatus, tc.status)
		}
		if resp.StatusCode == http.StatusOK {
			if data := firstData(t, bufio.NewReader(resp.Body)); data != strings.TrimSpace(string(want)) {
				t.Errorf("stream?%s as %s: first message\n%s\nGET %s\n%s", tc.query, tc.token, data, tc.get, want)
			}
		}
		resp.Body.Close()
	}
}

// firstData reads the stream up to its first message's data line.
func firstData(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before a message: %v", err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			return strings.TrimSuffix(data, "\n")
		}
	}
}
