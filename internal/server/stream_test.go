package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/api"
	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// streamNode is a node serving the live stream, with its projector's
// commits counted (the stream's ids count the same commits).
type streamNode struct {
	*server.Node
	commits atomic.Int64
	events  []domain.Event // a generated district's orders, not yet appended
}

// startStreamNode runs a node (embedded log, SQLite read model, the real
// projector; maxBatch 1 makes every event its own commit) holding a
// generated district's registry, its orders kept aside for the test.
func startStreamNode(t testing.TB, so api.StreamOptions, maxBatch int) *streamNode {
	t.Helper()
	sn := &streamNode{}
	cfg := server.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler), Stream: so,
		Projector: projections.ProjectorConfig{MaxBatch: maxBatch, OnCommit: func(projections.CommitStats) { sn.commits.Add(1) }}}
	ctx, cancel := context.WithCancel(context.Background())
	node, err := server.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	sn.Node = node
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node stopped with: %v", err)
		}
	})
	ds := storetest.Generate(1, 3000)
	sn.events = ds.Events
	sn.append(t, ds.Registry...)
	return sn
}

// append appends events and waits until they are in the read model.
func (sn *streamNode) append(t testing.TB, events ...domain.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := sn.Writer().Append(ctx, events...); err != nil {
		t.Fatal(err)
	}
	if err := sn.CaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	// CaughtUp wakes when the last batch is recorded, a moment before the
	// projector calls OnCommit (which notifies the stream, then counts):
	// wait until the count holds still.
	for last := sn.commits.Load(); ; {
		time.Sleep(20 * time.Millisecond)
		now := sn.commits.Load()
		if now == last {
			return
		}
		last = now
	}
}

// take returns the next n orders' events.
func (sn *streamNode) take(t testing.TB, n int) []domain.Event {
	t.Helper()
	if n > len(sn.events) {
		t.Fatalf("only %d events left, %d wanted", len(sn.events), n)
	}
	out := sn.events[:n]
	sn.events = sn.events[n:]
	return out
}

// sse is one message of the stream.
type sse struct {
	id   uint64
	data string
}

// openStream connects to the stream and parses its messages into the
// returned channel, closed when the stream ends.
func openStream(t testing.TB, url, lastID string) (*http.Response, <-chan sse) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	msgs := make(chan sse, 256)
	if resp.StatusCode != http.StatusOK {
		close(msgs)
		return resp, msgs
	}
	go func() {
		defer close(msgs)
		r := bufio.NewReader(resp.Body)
		var m sse
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if m.data != "" {
					msgs <- m
				}
				m = sse{}
			case strings.HasPrefix(line, "id: "):
				m.id, _ = strconv.ParseUint(line[len("id: "):], 10, 64)
			case strings.HasPrefix(line, "data: "):
				m.data = line[len("data: "):]
			}
		}
	}()
	return resp, msgs
}

// next waits for the stream's next message.
func next(t testing.TB, msgs <-chan sse) sse {
	t.Helper()
	select {
	case m, ok := <-msgs:
		if !ok {
			t.Fatal("the stream ended")
		}
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no message in 30 s")
	}
	return sse{}
}

// until reads messages up to the one with id, returning how many it read.
func until(t testing.TB, msgs <-chan sse, id uint64) (sse, int) {
	t.Helper()
	for n := 1; ; n++ {
		m := next(t, msgs)
		if m.id > id {
			t.Fatalf("message id %d beyond the last commit %d", m.id, id)
		}
		if m.id == id {
			return m, n
		}
	}
}

// getBody answers a GET's body, without its trailing newline.
func getBody(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", url, resp.StatusCode, b, err)
	}
	return strings.TrimSpace(string(b))
}

// TestStreamCoalescesCommits: 100 commits in a burst reach a client as a
// handful of messages (at most 4 a second), the last carrying the figures
// after the last commit, exactly the overview's GET body.
func TestStreamCoalescesCommits(t *testing.T) {
	sn := startStreamNode(t, api.StreamOptions{}, 1)
	url := sn.URL() + "/api/v1/stream?page=overview&from=2021-01-01"
	resp, msgs := openStream(t, url, "")
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	first := next(t, msgs)
	if want := uint64(sn.commits.Load()); first.id != want {
		t.Errorf("first message id %d, want the commits so far, %d", first.id, want)
	}
	before := sn.commits.Load()
	sn.append(t, sn.take(t, 100)...)
	burst := sn.commits.Load() - before
	if burst < 100 {
		t.Fatalf("%d commits for 100 events with MaxBatch 1", burst)
	}
	last, n := until(t, msgs, uint64(sn.commits.Load()))
	t.Logf("%d commits, %d messages", burst, n)
	if n > int(burst)/4 {
		t.Errorf("%d commits reached the client as %d messages: not coalesced", burst, n)
	}
	want := getBody(t, sn.URL()+"/api/v1/overview?from=2021-01-01")
	if last.data != want {
		t.Errorf("last message:\n%s\nGET /api/v1/overview:\n%s", last.data, want)
	}
	if first.data == want {
		t.Errorf("the figures did not move: the test proves nothing")
	}
}

// TestStreamReconnectWithLastEventID: a client that reconnects with the
// id it last saw gets, at once, the figures after every commit it missed,
// under the latest id — for each page, the body of its GET.
func TestStreamReconnectWithLastEventID(t *testing.T) {
	sn := startStreamNode(t, api.StreamOptions{}, 0)
	sn.append(t, sn.take(t, 2000)...)
	var livestreams struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	getJSON(t, sn.URL()+"/api/v1/livestreams", &livestreams)
	if len(livestreams.Items) == 0 {
		t.Fatal("no livestream in the data")
	}
	for _, page := range []struct{ stream, get string }{
		{"page=overview", "/api/v1/overview"},
		{"page=enterprise&id=E1&from=2021-01-01&to=2021-12-31", "/api/v1/enterprises/E1?from=2021-01-01&to=2021-12-31"},
		{"page=livestream&id=" + livestreams.Items[0].ID, "/api/v1/livestreams/" + livestreams.Items[0].ID},
	} {
		resp, msgs := openStream(t, sn.URL()+"/api/v1/stream?"+page.stream, "")
		first := next(t, msgs)
		resp.Body.Close()
		sn.append(t, sn.take(t, 300)...)
		now := uint64(sn.commits.Load())
		if now <= first.id {
			t.Fatalf("no commit while disconnected (%d, %d)", first.id, now)
		}
		_, msgs = openStream(t, sn.URL()+"/api/v1/stream?"+page.stream, strconv.FormatUint(first.id, 10))
		again := next(t, msgs)
		want := getBody(t, sn.URL()+page.get)
		if again.id != now || again.data != want {
			t.Errorf("%s: reconnected after id %d, got id %d %s; want id %d %s", page.stream, first.id, again.id, again.data, now, want)
		}
		if again.data == first.data {
			t.Errorf("%s: the figures did not move while disconnected: the test proves nothing", page.stream)
		}
	}
}

// TestStreamRefusals: a stream the matching GET would refuse is refused
// the same way, before it starts.
func TestStreamRefusals(t *testing.T) {
	sn := startStreamNode(t, api.StreamOptions{}, 0)
	for _, tc := range []struct {
		query  string
		status int
		errHas string
	}{
		{"page=enterprise&id=E404", 404, "not found"},
		{"page=livestream&id=douyin:1", 404, "not found"},
		{"page=bogus", 400, "page="},
		{"", 400, "page is required"},
		{"page=overview&id=E1", 400, "no id"},
		{"page=enterprise", 400, "needs id"},
		{"page=livestream&id=douyin:1&from=2021-01-01", 400, "no from or to"},
		{"page=overview&from=2021-13-01", 400, "not a date"},
		{"page=overview&limit=3", 400, "unknown parameter"},
		{"page=overview&as_of=2021-01-05", 400, "unknown parameter"},
	} {
		resp, err := http.Get(sn.URL() + "/api/v1/stream?" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.errHas) {
			t.Errorf("stream?%s: %d %s; want %d with %q", tc.query, resp.StatusCode, body, tc.status, tc.errHas)
		}
	}
}

// stalledClient connects with a tiny receive buffer, asks for a stream
// and never reads.
func stalledClient(t testing.TB, base, query string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		return errors.Join(err, serr)
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "GET /api/v1/stream?%s HTTP/1.1\r\nHost: loquat\r\n\r\n", query); err != nil {
		t.Fatal(err)
	}
	return conn
}

var metricLine = regexp.MustCompile(`(?m)^(loquat_stream_\w+) (\S+)$`)

// streamMetrics reads the stream's clients and drops from /metrics.
func streamMetrics(t testing.TB, base string) (clients, dropped int) {
	t.Helper()
	for _, m := range metricLine.FindAllStringSubmatch(getBody(t, base+"/metrics"), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		switch m[1] {
		case "loquat_stream_clients":
			clients = int(v)
		case "loquat_stream_dropped_total":
			dropped = int(v)
		}
	}
	return clients, dropped
}

// TestStreamDropsStalledClient: a client that never reads is dropped once
// its connection's buffers are full — its connection closed — while a
// client that reads keeps receiving, up to the last commit's figures.
func TestStreamDropsStalledClient(t *testing.T) {
	sn := startStreamNode(t, api.StreamOptions{MinInterval: time.Millisecond, WriteTimeout: 300 * time.Millisecond}, 1)
	stalled := stalledClient(t, sn.URL(), "page=overview")
	_, msgs := openStream(t, sn.URL()+"/api/v1/stream?page=overview", "")
	next(t, msgs)
	dropped := 0
	for round := 0; dropped == 0; round++ {
		if round == 40 {
			t.Fatalf("the stalled client was not dropped after %d commits", sn.commits.Load())
		}
		sn.append(t, sn.take(t, 25)...)
		_, dropped = streamMetrics(t, sn.URL())
	}
	// The stalled client's connection is closed: reading it now drains
	// what was buffered, then ends (EOF or reset), not a timeout.
	stalled.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := io.Copy(io.Discard, stalled)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the stalled client's connection is still open after %d bytes", n)
	}
	t.Logf("dropped after %d commits; its connection had %d bytes buffered (%v)", sn.commits.Load(), n, err)
	sn.append(t, sn.take(t, 25)...)
	last, _ := until(t, msgs, uint64(sn.commits.Load()))
	if want := getBody(t, sn.URL()+"/api/v1/overview"); last.data != want {
		t.Errorf("the reading client's last message is not the last figures:\n%s\nwant\n%s", last.data, want)
	}
	if clients, dropped := streamMetrics(t, sn.URL()); clients != 1 || dropped != 1 {
		t.Errorf("clients %d, dropped %d; want 1 and 1", clients, dropped)
	}
}

// subscribe connects n stream clients, the first of them stalled (never
// reading), the others reading and discarding; it returns how many
// messages the readers got so far.
func subscribe(t testing.TB, base string, n int) *atomic.Int64 {
	t.Helper()
	var got atomic.Int64
	stalledClient(t, base, "page=overview")
	var wg sync.WaitGroup
	var bodies []io.Closer
	for i := 1; i < n; i++ {
		resp, msgs := openStream(t, base+"/api/v1/stream?page=overview", "")
		bodies = append(bodies, resp.Body)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range msgs {
				got.Add(1)
			}
		}()
	}
	t.Cleanup(func() {
		for _, b := range bodies {
			b.Close()
		}
		wg.Wait()
	})
	return &got
}

// projectRate appends the events and returns the projector's rate,
// events per second from the append to the last commit.
func projectRate(t testing.TB, sn *streamNode, events []domain.Event) float64 {
	t.Helper()
	start := time.Now()
	sn.append(t, events...)
	return float64(len(events)) / time.Since(start).Seconds()
}

// TestStreamDoesNotSlowProjector: the projector's rate with 200 stream
// clients, one of them never reading, beside its rate with none, the same
// events into two fresh nodes in one run. The bound is generous (half),
// as the machine is shared; BenchmarkStreamClients measures the real
// figure (BENCHMARKS.md).
func TestStreamDoesNotSlowProjector(t *testing.T) {
	alone := startStreamNode(t, api.StreamOptions{}, 0)
	events := alone.take(t, 8000)
	without := projectRate(t, alone, events)

	watched := startStreamNode(t, api.StreamOptions{}, 0)
	got := subscribe(t, watched.URL(), 200)
	with := projectRate(t, watched, events)
	t.Logf("projector: %.0f events/s without stream clients, %.0f with 200 (%.0f%%); %d messages delivered",
		without, with, 100*with/without, got.Load())
	if with < without/2 {
		t.Errorf("projector at %.0f events/s with 200 stream clients, %.0f without", with, without)
	}
	if clients, _ := streamMetrics(t, watched.URL()); clients != 200 {
		t.Errorf("%d clients connected, want 200", clients)
	}
}

func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(getBody(t, url)), v); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkStreamClients projects the same 8,000 events into a fresh node
// with no stream client and with 1,000 (one of them never reading, the
// others reading the overview), and reports the projector's rate (wall
// and per CPU second of the whole process, clients included), the heap
// the clients hold (server and client sides: one process) and the
// messages delivered:
//
//	go test -run XXX -bench StreamClients -benchtime 1x ./internal/server
func BenchmarkStreamClients(b *testing.B) {
	for _, clients := range []int{0, 1000} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			sn := startStreamNode(b, api.StreamOptions{}, 0)
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heapBefore, goroutines := ms.HeapInuse, runtime.NumGoroutine()
			got := &atomic.Int64{}
			if clients > 0 {
				got = subscribe(b, sn.URL(), clients)
				for c, _ := streamMetrics(b, sn.URL()); c < clients; c, _ = streamMetrics(b, sn.URL()) {
					time.Sleep(10 * time.Millisecond) // until every stream is served
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&ms)
			heapClients := float64(ms.HeapInuse) - float64(heapBefore)
			goroutines = runtime.NumGoroutine() - goroutines
			delivered := got.Load()
			var events int
			var took, cpu time.Duration
			for b.Loop() {
				batch := sn.take(b, 8000)
				start, startCPU := time.Now(), processCPU()
				sn.append(b, batch...)
				took += time.Since(start)
				cpu += processCPU() - startCPU
				events += len(batch)
			}
			time.Sleep(500 * time.Millisecond) // the last coalesced messages
			b.ReportMetric(float64(events)/took.Seconds(), "events/s")
			b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu_s")
			b.ReportMetric(heapClients/(1<<20), "clients_heap_MiB")
			b.ReportMetric(float64(goroutines), "goroutines")
			b.ReportMetric(float64(got.Load()-delivered), "messages")
		})
	}
}

// processCPU is the CPU time (user + system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
