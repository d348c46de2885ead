package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/ingest/file"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// TestAccountingEverySource is the accounting of issue #12: over a large
// mixed input from every source — a Douyin livestream day pushed to
// /ingest/douyin, JD and Kuaishou polled twice over by a node's own
// pollers, an orders CSV and an income JSONL imported with the real
// importer — every input is counted, a true duplicate, or rejected with a
// reason that names it, and nothing is lost. Per source, inputs sent =
// counted + skipped + duplicates + rejected, where:
//
//   - inputs sent are counted where they leave the test: the Douyin
//     messages on the wire (retries included), the orders the simulated
//     platforms put in their answers, the files' data lines.
//   - counted is what the system holds, read back from it: the distinct
//     event ids of that source in the event log (checked per event type
//     against what the inputs give), whose figures the API must give
//     exactly — to the fen, against the simulators' own ledgers and the
//     test's sums of the files' rows.
//   - skipped are Douyin messages accepted without an event: tag 200
//     (refund created; money moves only at 206) and tags Loquat does not
//     know. They are answered 200, are no rejection and appear nowhere;
//     the test knows how many it sent.
//   - duplicates: Loquat does not report how many duplicates it saw (ids
//     are deduplicated downstream), so they are what the test sent again
//     (a msg_id pushed before, an order the platform served before, a file
//     row equal to an earlier one), and the check is that counted equals
//     the distinct inputs.
//   - rejected are the dead letters of GET /api/v1/dead-letters, matched
//     one to one with the test's own list of what it corrupted: each
//     corrupted input has its dead letters (by raw bytes, msg_id, order id
//     or line), each reason names what is wrong, and no dead letter is
//     left unmatched.
//
// Losing a single event anywhere between the adapters and the read model
// breaks the equation of its source, its per-type count or its figures.
func TestAccountingEverySource(t *testing.T) {
	began := time.Now()
	dir := t.TempDir()
	reg := sampleRegistry(t)
	appendRegistry(t, dir, reg)

	// ---- the platforms
	dy := newDouyinSource(t)
	jdSrc := newJDSource(t)
	ksSrc := newKuaishouSource(t)

	// First pass of the pollers on one node, then a second node on the same
	// data dir polls everything again under other cursor names: every order
	// served twice, the second time a true duplicate.
	node, stop := startAccountingNode(t, dir, dy.api.URL, jdSrc.api.URL, ksSrc.api.URL, "")
	if err := polled(node); err != nil {
		t.Fatal(err)
	}
	stop()
	node, stop = startAccountingNode(t, dir, dy.api.URL, jdSrc.api.URL, ksSrc.api.URL, "-again")
	defer stop()
	if err := polled(node); err != nil {
		t.Fatal(err)
	}

	t.Logf("%s: polled twice", time.Since(began).Round(time.Millisecond))
	dy.push(t, node.URL())
	t.Logf("%s: pushed", time.Since(began).Round(time.Millisecond))
	files := newFileSource(t)
	files.importAll(t, node)

	t.Logf("%s: imported", time.Since(began).Round(time.Millisecond))
	caughtUp(t, node)
	// The dead letters are projected by a consumer of their own: wait
	// until the API lists every distinct one the log holds.
	deadLetterIDs := readDeadLetterIDs(t, node)
	if min := dy.minDeadLetters() + jdSrc.minDeadLetters() + ksSrc.minDeadLetters() + files.minDeadLetters(); len(deadLetterIDs) < min {
		t.Errorf("the log holds %d distinct dead letters, fewer than the %d inputs the test corrupted", len(deadLetterIDs), min)
	}
	waitDeadLetters(t, node, len(deadLetterIDs))

	t.Logf("%s: caught up", time.Since(began).Round(time.Millisecond))
	log := readLog(t, node)
	t.Logf("%s: log read", time.Since(began).Round(time.Millisecond))
	var dl projections.Page[projections.DeadLetterItem]
	samples.GetJSON(t, node.URL(), "/api/v1/dead-letters?limit=10000", &dl)
	if dl.Total != len(deadLetterIDs) || len(dl.Items) != dl.Total {
		t.Errorf("GET /api/v1/dead-letters lists %d (total %d), the log holds %d distinct", len(dl.Items), dl.Total, len(deadLetterIDs))
	}
	for _, d := range dl.Items {
		if !deadLetterIDs[d.ID] {
			t.Errorf("dead letter %s listed by the API is not in the log", d.ID)
		}
	}
	bySource := map[string][]projections.DeadLetterItem{}
	for _, d := range dl.Items {
		src := d.Source
		if strings.HasPrefix(src, "file:") {
			src = "file"
		}
		bySource[src] = append(bySource[src], d)
	}
	// What the test sent again is the same fact with the same content: a
	// true duplicate, never a conflict.
	var conflicts struct {
		Items []json.RawMessage `json:"items"`
		Total int               `json:"total"`
	}
	samples.GetJSON(t, node.URL(), "/api/v1/conflicts", &conflicts)
	if conflicts.Total != 0 {
		t.Errorf("%d conflicts, want none: every input sent twice was sent the same; first: %s", conflicts.Total, conflicts.Items[0])
	}
	var ov projections.Overview
	samples.GetJSON(t, node.URL(), "/api/v1/overview", &ov)
	figs := map[string]projections.PlatformFigs{}
	for _, p := range ov.ByPlatform {
		figs[p.Platform] = p
	}

	dy.check(t, log["douyin"], bySource["douyin"], figs["douyin"])
	jdSrc.check(t, log["jd"], bySource["jd"], figs["jd"])
	ksSrc.check(t, log["kuaishou"], bySource["kuaishou"], figs["kuaishou"])
	files.check(t, node, log["file"], bySource["file"], figs["file"])
	for src, items := range bySource {
		if src != "douyin" && src != "jd" && src != "kuaishou" && src != "file" {
			for _, d := range items {
				t.Errorf("dead letter of no source sent: %s %q", d.Source, d.Reason)
			}
		}
	}
	for src := range log {
		if src != "douyin" && src != "jd" && src != "kuaishou" && src != "file" {
			t.Errorf("events of no source sent: %s %v", src, log[src])
		}
	}
}

// ---- the node

func appendRegistry(t *testing.T, dir string, reg *domain.RegistryFile) {
	t.Helper()
	log, err := server.OpenLog(dir, logConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	if _, err := registry.Append(context.Background(), reg, eventlog.NewWriter(log.Publisher())); err != nil {
		t.Fatal(err)
	}
}

// accountingSize scales the inputs: thousands per source, a third of that
// under the race detector, which makes the node several times slower
// (the accounting is the same).
func accountingSize(n int) int {
	if raceDetector {
		return n / 3
	}
	return n
}

// accountingPollEnd is the pollers' clock: after every generated order.
var (
	accountingFrom    = time.Date(2026, 11, 20, 0, 0, 0, 0, domain.ChinaTime)
	accountingPollEnd = accountingFrom.Add(10 * 24 * time.Hour)
)

// startAccountingNode runs a node on dir with Douyin and both pollers;
// cursorSuffix names the pollers' cursors, so a new suffix polls again
// from the start.
func startAccountingNode(t *testing.T, dir, douyinURL, jdURL, ksURL, cursorSuffix string) (*server.Node, func()) {
	t.Helper()
	clock := func() time.Time { return accountingPollEnd }
	jdCfg := samples.JDConfig(jdURL)
	jdCfg.Name, jdCfg.Start, jdCfg.Now, jdCfg.Window, jdCfg.PageSize = "jd"+cursorSuffix, accountingFrom.Add(-time.Hour), clock, 12*time.Hour, 100
	jdCfg.RetryBackoff, jdCfg.MaxRetryBackoff = time.Millisecond, 5*time.Millisecond
	ksCfg := samples.KuaishouConfig(ksURL)
	ksCfg.Name, ksCfg.Start, ksCfg.Now, ksCfg.Window, ksCfg.PageSize = "kuaishou"+cursorSuffix, accountingFrom.Add(-time.Hour), clock, 12*time.Hour, 100
	ksCfg.RetryBackoff, ksCfg.MaxRetryBackoff = time.Millisecond, 5*time.Millisecond
	cfg := server.Config{
		DataDir:   dir,
		Addr:      "127.0.0.1:0",
		Platforms: []ingest.Source{samples.DouyinConfig(douyinURL), jdCfg, ksCfg},
	}
	ctx, cancel := context.WithCancel(context.Background())
	node, err := server.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node stopped with: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return node, stop
}

// logEvents are the distinct event ids of one source in the log, by type.
type logEvents map[domain.EventType]map[string]bool

func (l logEvents) count() int {
	n := 0
	for _, ids := range l {
		n += len(ids)
	}
	return n
}

// readLog reads the whole events topic and returns its distinct event ids
// by source: the platform of order events ("file" for imported rows of
// platform file), "file" for income.
func readLog(t *testing.T, node *server.Node) map[string]logEvents {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	end, err := node.Log().End(ctx, eventlog.TopicEvents)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]logEvents{}
	err = eventlog.ReadUntil(ctx, node.Log(), "accounting-test", eventlog.TopicEvents, end, func(msg *message.Message, _ eventlog.Position) error {
		e, err := eventlog.DecodeMessage(msg)
		if err != nil {
			return fmt.Errorf("undecodable event in the log: %w", err)
		}
		payload, err := domain.MarshalEvent(e)
		if err != nil {
			return err
		}
		var p struct {
			Platform string `json:"platform"`
		}
		if err := json.Unmarshal(payload, &p); err != nil {
			return err
		}
		src := p.Platform
		if e.Type() == domain.TypeIncomeRecorded {
			src = "file"
		}
		if out[src] == nil {
			out[src] = logEvents{}
		}
		if out[src][e.Type()] == nil {
			out[src][e.Type()] = map[string]bool{}
		}
		out[src][e.Type()][e.ID()] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readDeadLetterIDs reads the dead-letter topic whole and returns the
// distinct ids: an input rejected again (a re-push, a second poll) is the
// same dead letter.
func readDeadLetterIDs(t *testing.T, node *server.Node) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	end, err := node.Log().End(ctx, eventlog.TopicDeadLetters)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	err = eventlog.ReadUntil(ctx, node.Log(), "accounting-test-dead-letters", eventlog.TopicDeadLetters, end, func(msg *message.Message, _ eventlog.Position) error {
		dl, err := eventlog.DecodeDeadLetter(msg)
		if err != nil {
			return fmt.Errorf("undecodable dead letter in the log: %w", err)
		}
		ids[dl.ID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// balance checks inputs = counted + skipped + duplicates + rejected and
// logs the accounting.
func balance(t *testing.T, source string, sent, counted, skipped, duplicates, rejected int) {
	t.Helper()
	t.Logf("%s: %d inputs = %d counted + %d skipped + %d duplicates + %d rejected", source, sent, counted, skipped, duplicates, rejected)
	if sent != counted+skipped+duplicates+rejected {
		t.Errorf("%s: %d inputs sent, but %d counted + %d skipped + %d duplicates + %d rejected = %d: %d unaccounted for",
			source, sent, counted, skipped, duplicates, rejected, counted+skipped+duplicates+rejected, sent-(counted+skipped+duplicates+rejected))
	}
}

// corrupted is an input the test broke on purpose, and what its dead
// letters must say.
type corrupted struct {
	// key identifies the input in a dead letter: its raw bytes contain it
	// or its reason does (a msg_id, an order id, a line).
	key string
	// raw, if set, is the input's exact bytes, which a dead letter may hold.
	raw []byte
	// rawHas, if set, is in the raw bytes of its dead letters: the guard
	// keeps the refused event, whose order id it is.
	rawHas string
	// guarded inputs decode but their events are refused by the guard
	// (ingest.Guard): a push of one is answered 200, since pushing it
	// again cannot help.
	guarded bool
	// reasonHas is what the reason must name.
	reasonHas string
}

// matchDeadLetters pairs every dead letter with the one corrupted input it
// names, and checks each corrupted input got at least one whose reason
// names its problem. It returns how many corrupted inputs were rejected.
func matchDeadLetters(t *testing.T, source string, bad []corrupted, dls []projections.DeadLetterItem) int {
	t.Helper()
	got := make([][]projections.DeadLetterItem, len(bad))
	for _, d := range dls {
		var hits []int
		for i, c := range bad {
			if (c.raw != nil && d.Raw == string(c.raw)) || strings.Contains(d.Reason, c.key) || (c.rawHas != "" && strings.Contains(d.Raw, c.rawHas)) {
				hits = append(hits, i)
			}
		}
		if len(hits) != 1 {
			t.Errorf("%s: dead letter %q (raw %.120q) matches %d corrupted inputs, want exactly one", source, d.Reason, d.Raw, len(hits))
			continue
		}
		got[hits[0]] = append(got[hits[0]], d)
	}
	rejected := 0
	for i, c := range bad {
		if len(got[i]) == 0 {
			t.Errorf("%s: corrupted input %s (%s) has no dead letter", source, c.key, c.reasonHas)
			continue
		}
		rejected++
		for _, d := range got[i] {
			if !strings.Contains(d.Reason, c.reasonHas) {
				t.Errorf("%s: dead letter of %s: reason %q does not name %q", source, c.key, d.Reason, c.reasonHas)
			}
			if d.Raw == "" && d.RawBase64 == "" {
				t.Errorf("%s: dead letter of %s keeps no raw bytes", source, c.key)
			}
		}
	}
	return rejected
}

// ---- Douyin

// douyinSource is a simulated Douyin shop's livestream day, the test's
// corrupted messages, and what went over the wire.
type douyinSource struct {
	day      *douyinsim.LiveDay
	platform *douyinsim.Platform
	api      *httptest.Server
	bad      []corrupted
	badMsgs  []json.RawMessage // the corrupted push elements
	unknown  []douyinsim.Message
	wire     *pushWire
}

// pushWire records every message element that leaves the test for
// /ingest/douyin, retries included.
type pushWire struct {
	mu   sync.Mutex
	sent []string // msg_id of each element, as sent (JSON token)
}

func (w *pushWire) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	var elems []struct {
		MsgID json.RawMessage `json:"msg_id"`
	}
	if err := json.Unmarshal(body, &elems); err != nil {
		return nil, fmt.Errorf("test push is not a JSON array: %w", err)
	}
	w.mu.Lock()
	for _, e := range elems {
		w.sent = append(w.sent, msgIDKey(e.MsgID))
	}
	w.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// msgIDKey is a msg_id token as a plain string ("123" and 123 alike).
func msgIDKey(tok json.RawMessage) string {
	var s string
	if json.Unmarshal(tok, &s) == nil {
		return s
	}
	return string(tok)
}

const (
	douyinRoom   = 7_311_000_000_000_000_123
	badMsgIDBase = 7_299_000_000_000_000_000
	badPIDBase   = 4_899_000_000_000_000_000
)

func newDouyinSource(t *testing.T) *douyinSource {
	t.Helper()
	day, err := douyinsim.GenerateLiveDay(douyinsim.DayOptions{
		Date: "2026-11-24",
		Catalogue: []douyinsim.SKU{
			{SKUID: "1747203364827180", Name: "萍湖枇杷 5斤装 新鲜现摘", Product: douyinsim.ProductLoquat, PriceFen: 6990},
			{SKUID: "1747203364827299", Name: "青溪土蜂蜜 500g", Product: "honey", PriceFen: 4990},
			{SKUID: "1747203364827311", Name: "坑坪香菇 250g", Product: "shiitake", PriceFen: 2590},
		},
		RoomID: douyinRoom, AnchorID: 96_000_001, Orders: accountingSize(1200), Seed: 12, DuplicatePercent: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	platform, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{AppKey: samples.DouyinAppKey, AppSecret: samples.DouyinAppSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := platform.AddOrders(day.Orders...); err != nil {
		t.Fatal(err)
	}
	s := &douyinSource{day: day, platform: platform, wire: &pushWire{}}
	s.api = httptest.NewServer(platform)
	t.Cleanup(s.api.Close)

	// The corrupted messages: five of each kind, each with a msg_id of its
	// own, which its dead letter's reason must name with the problem.
	at := time.Date(2026, 11, 24, 21, 0, 0, 0, domain.ChinaTime).Unix()
	n := 0
	add := func(tag, data string, dataIsString bool, reasonHas string) {
		n++
		msgID := fmt.Sprint(badMsgIDBase + n)
		var elem []byte
		if dataIsString {
			elem, _ = json.Marshal(map[string]string{"tag": tag, "msg_id": msgID, "data": data})
		} else {
			elem = []byte(fmt.Sprintf(`{"tag":%q,"msg_id":%q,"data":%s}`, tag, msgID, data))
		}
		s.bad = append(s.bad, corrupted{key: msgID, raw: elem, reasonHas: reasonHas})
		s.badMsgs = append(s.badMsgs, elem)
	}
	for i := range 5 {
		pid := badPIDBase + int64(i)*100
		add("101", fmt.Sprintf(`{"p_id":%d,"s_ids":[%d],"pay_time":%d`, pid, pid+1, at), true, "data is not the expected JSON object")
		// The reason names the id as sent, not the field (p_id).
		add("102", fmt.Sprintf(`{"p_id":"x%d","s_ids":[],"update_time":%d}`, i, at), true, fmt.Sprintf(`id "x%d" is not a non-negative 64-bit integer`, i))
		add("100", fmt.Sprintf(`{"p_id":4.8%de18,"create_time":%d}`, i, at), true, fmt.Sprintf(`id 4.8%de18 is not a non-negative 64-bit integer`, i))
		add("206", fmt.Sprintf(`{"aftersale_id":%d,"p_id":%d,"s_id":%d,"refund_amount":-%d,"refund_post_amount":0,"modify_time":%d}`,
			7_099_000_000_000_000_000+i, pid, pid+1, 500+i, at), true, fmt.Sprintf("refund_amount -%d is not an amount", 500+i))
		add("100", fmt.Sprintf(`{"p_id":%d,"create_time":%d}`, pid, time.Date(1900, 1, 1, 12, 0, 0, 0, domain.ChinaTime).Unix()), true, "is not a time from 2000 to 2100")
		add("103", fmt.Sprintf(`{"p_id":%d,"complete_time":%d}`, pid, at), false, "data is not a JSON string")
	}
	// Payments whose order detail the platform answers but that cannot be
	// used: its lines do not add up to the order's pay_amount.
	for i := range 3 {
		pid := badPIDBase + 80_000 + int64(i)*100
		detail := day.Orders[i]
		detail.OrderID = fmt.Sprint(pid)
		detail.SkuOrderList = slices.Clone(detail.SkuOrderList)
		for j := range detail.SkuOrderList {
			detail.SkuOrderList[j].OrderID = fmt.Sprint(pid + 1 + int64(j))
			detail.SkuOrderList[j].ParentOrderID = detail.OrderID
		}
		detail.PayAmount += 1234
		if err := platform.AddOrders(detail); err != nil {
			t.Fatal(err)
		}
		add("101", fmt.Sprintf(`{"p_id":%d,"s_ids":[%d],"shop_id":1234567,"order_status":2,"order_type":0,"pay_type":1,"pay_time":%d,"pay_amount":%d,"biz":2}`,
			pid, pid+1, at, detail.PayAmount), true, "add up")
	}
	// Messages that decode, about times the guard finds implausible: before
	// records begin, or in the future. Their events are dead letters.
	for i := range 3 {
		pid := badPIDBase + 70_000 + int64(i)*100
		old := time.Date(2012, 6, 1, 12, 0, 0, 0, domain.ChinaTime)
		add("100", fmt.Sprintf(`{"p_id":%d,"create_time":%d}`, pid, old.Unix()), true, "created_at 2012-06-01 12:00:00 is before 2015-01-01 00:00:00")
		s.bad[len(s.bad)-1].rawHas, s.bad[len(s.bad)-1].guarded = fmt.Sprintf(`"order_id":"%d"`, pid), true
		pid += 50
		future := time.Date(2099, 6, 1, 12, 0, 0, 0, domain.ChinaTime)
		add("102", fmt.Sprintf(`{"p_id":%d,"s_ids":[%d],"shop_id":1234567,"order_status":3,"update_time":%d}`, pid, pid+1, future.Unix()), true, "shipped_at 2099-06-01 12:00:00 is in the future")
		s.bad[len(s.bad)-1].rawHas, s.bad[len(s.bad)-1].guarded = fmt.Sprintf(`"order_id":"%d"`, pid), true
	}
	// Messages of a tag Loquat does not know: accepted and skipped.
	for i := range 7 {
		s.unknown = append(s.unknown, douyinsim.Message{Tag: fmt.Sprint(900 + i), MsgID: fmt.Sprint(badMsgIDBase + 500 + i),
			Data: fmt.Sprintf(`{"p_id":%d,"whatever":true}`, badPIDBase+9000+int64(i))})
	}
	return s
}

// minDeadLetters is how many dead letters the API must list at least.
func (s *douyinSource) minDeadLetters() int { return len(s.bad) }

// push sends the day as the platform does (signed batches, shuffled a
// little, so some refunds come before their payments), then the unknown
// tags, then the corrupted messages twice, each time among re-pushed valid
// messages: answered 400 naming them.
func (s *douyinSource) push(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Transport: s.wire, Timeout: 30 * time.Second}
	pusher, err := douyinsim.NewPusher(douyinsim.PusherOptions{URL: url + "/ingest/douyin", AppKey: samples.DouyinAppKey,
		AppSecret: samples.DouyinAppSecret, BatchSize: 40, ShuffleWindow: 30, Seed: 3, HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	if err := pusher.Push(context.Background(), append(slices.Clone(s.day.Messages), s.unknown...)); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(4, 5))
	for round := range 2 {
		for i, bad := range s.badMsgs {
			good := s.day.Messages[r.IntN(len(s.day.Messages))]
			goodElem, err := douyinsim.EncodeBatch([]douyinsim.Message{good})
			if err != nil {
				t.Fatal(err)
			}
			body := []byte("[" + string(goodElem[1:len(goodElem)-1]) + "," + string(bad) + "]")
			req, _ := http.NewRequest(http.MethodPost, url+"/ingest/douyin", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("event-sign", douyinsim.PushSignature(samples.DouyinAppKey, samples.DouyinAppSecret, body, douyinsim.SignMD5))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if s.bad[i].guarded {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("round %d, message %s refused by the guard, beside a valid one: HTTP %d %s, want 200 (pushing it again cannot help)", round, s.bad[i].key, resp.StatusCode, answer)
				}
			} else if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(answer), s.bad[i].key) {
				t.Fatalf("round %d, corrupted message %s beside a valid one: HTTP %d %s, want 400 naming it", round, s.bad[i].key, resp.StatusCode, answer)
			}
		}
	}
}

// douyinEventTypes are the tags that give an event, and its type.
var douyinEventTypes = map[string]domain.EventType{
	"100": domain.TypeOrderCreated, "101": domain.TypeOrderPaid, "102": domain.TypeOrderShipped,
	"103": domain.TypeOrderCompleted, "106": domain.TypeOrderCancelled, "206": domain.TypeRefundSucceeded,
}

func (s *douyinSource) check(t *testing.T, log logEvents, dls []projections.DeadLetterItem, figs projections.PlatformFigs) {
	t.Helper()
	badIDs := map[string]bool{}
	for _, b := range s.bad {
		badIDs[b.key] = true
	}
	// What the test sent, by msg_id: every valid message is the day's or
	// an unknown tag's; the day's give one event each, keyed by type and
	// the order (or refund) they are about.
	valid := map[string]douyinsim.Message{}
	for _, m := range append(slices.Clone(s.day.Messages), s.unknown...) {
		valid[m.MsgID] = m
	}
	s.wire.mu.Lock()
	sent := slices.Clone(s.wire.sent)
	s.wire.mu.Unlock()
	distinct := map[string]bool{}
	skipped := 0
	wantByType := map[domain.EventType]map[string]bool{}
	for _, id := range sent {
		if distinct[id] {
			continue
		}
		distinct[id] = true
		if badIDs[id] {
			continue
		}
		m, ok := valid[id]
		if !ok {
			t.Fatalf("douyin: the wire carried msg_id %s the test does not know", id)
		}
		typ, gives := douyinEventTypes[m.Tag]
		if !gives {
			skipped++
			continue
		}
		var data struct {
			PID         json.Number `json:"p_id"`
			AftersaleID json.Number `json:"aftersale_id"`
		}
		dec := json.NewDecoder(strings.NewReader(m.Data))
		dec.UseNumber()
		if err := dec.Decode(&data); err != nil {
			t.Fatalf("douyin: the day's message %s: %v", id, err)
		}
		key := string(data.PID)
		if typ == domain.TypeRefundSucceeded {
			key += "/" + string(data.AftersaleID)
		}
		if wantByType[typ] == nil {
			wantByType[typ] = map[string]bool{}
		}
		wantByType[typ][key] = true
	}
	for typ, keys := range wantByType {
		if got := len(log[typ]); got != len(keys) {
			t.Errorf("douyin: %d distinct %s events in the log, the test sent %d distinct messages giving one", got, typ, len(keys))
		}
	}
	rejected := matchDeadLetters(t, "douyin", s.bad, dls)
	balance(t, "douyin", len(sent), log.count(), skipped, len(sent)-len(distinct), rejected)

	l := s.day.Ledger
	if figs.GMVFen != l.GMVFen || figs.RefundsFen != l.RefundsFen || figs.Orders != int64(l.OrdersPaid) {
		t.Errorf("douyin through the API: GMV %d refunds %d fen, %d orders; the platform's ledger: GMV %d refunds %d fen, %d orders",
			figs.GMVFen, figs.RefundsFen, figs.Orders, l.GMVFen, l.RefundsFen, l.OrdersPaid)
	}
}

// ---- JD and Kuaishou

// servedOrders counts the orders a simulated platform put in its answers,
// by their exact bytes: what the poller received, repeats included.
type servedOrders struct {
	mu     sync.Mutex
	served map[[32]byte]int
	total  int
	list   func(body []byte) ([]json.RawMessage, error)
}

func (s *servedOrders) wrap(t *testing.T, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			orders, err := s.list(rec.Body.Bytes())
			if err != nil {
				t.Errorf("the simulated platform answered what the test cannot read: %v", err)
			}
			s.mu.Lock()
			for _, o := range orders {
				s.served[sha256.Sum256(o)]++
				s.total++
			}
			s.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// counts returns the orders served and the distinct ones.
func (s *servedOrders) counts() (total, distinct int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, len(s.served)
}

type jdSource struct {
	book  *jdsim.Book
	api   *httptest.Server
	bad   []corrupted
	wire  *servedOrders
	goods int
}

// mutateJSON decodes an order element, lets f change it and encodes it again.
func mutateJSON(t *testing.T, raw []byte, f func(m map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newJDSource(t *testing.T) *jdSource {
	t.Helper()
	book, err := jdsim.Generate(jdsim.GenerateOptions{From: accountingFrom, Span: 72 * time.Hour, Orders: accountingSize(700), Seed: 31})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := jdsim.New(jdsim.Options{RateLimitEvery: 13})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.AddOrders(book.Orders...); err != nil {
		t.Fatal(err)
	}
	s := &jdSource{book: book, goods: len(book.Orders), wire: &servedOrders{served: map[[32]byte]int{}, list: func(body []byte) ([]json.RawMessage, error) {
		var a struct {
			R *struct {
				Result struct {
					List []json.RawMessage `json:"orderInfoList"`
				} `json:"searchorderinfo_result"`
			} `json:"jingdong_pop_order_search_responce"`
		}
		if err := json.Unmarshal(body, &a); err != nil || a.R == nil {
			return nil, nil // an error answer (rate limit): no orders
		}
		return a.R.Result.List, nil
	}}}
	// Corrupted orders, made from a paid one (an unpaid order's amounts are
	// not read) with a new id, three of each kind.
	var template []byte
	for _, o := range book.Orders {
		v := o.Versions[len(o.Versions)-1]
		var f struct{ PaymentConfirmTime, OrderState string }
		if err := json.Unmarshal(v.JSON, &f); err != nil {
			t.Fatal(err)
		}
		if f.PaymentConfirmTime != "" && f.OrderState != "TRADE_CANCELED" {
			template = v.JSON
			break
		}
	}
	kinds := []struct {
		reasonHas string
		mutate    func(m map[string]any)
	}{
		{"more than two decimals", func(m map[string]any) {
			items := m["itemInfoList"].([]any)
			items[0].(map[string]any)["jdPrice"] = "59.905"
		}},
		{`orderState "WAIT_BUYER_TELEPATHY"`, func(m map[string]any) { m["orderState"] = "WAIT_BUYER_TELEPATHY" }},
		{"sellerDiscount", func(m map[string]any) { m["sellerDiscount"] = "ten yuan" }},
		{"orderStartTime", func(m map[string]any) { m["orderStartTime"] = "2026/11/21 10:00" }},
	}
	var bad []jdsim.Order
	for i := range 3 {
		for k, kind := range kinds {
			id := fmt.Sprintf("1399%02d%02d0000", i, k)
			modified := accountingFrom.Add(time.Duration(10+i*7+k) * time.Hour)
			raw := mutateJSON(t, template, func(m map[string]any) {
				m["orderId"] = id
				m["modified"] = modified.Format(time.DateTime)
				for _, c := range m["couponDetailList"].([]any) {
					c.(map[string]any)["orderId"] = id
				}
				kind.mutate(m)
			})
			bad = append(bad, jdsim.Order{ID: id, Versions: []jdsim.Version{{Modified: modified, State: "WAIT_SELLER_STOCK_OUT", JSON: raw}}})
			s.bad = append(s.bad, corrupted{key: id, raw: raw, reasonHas: kind.reasonHas})
		}
	}
	// Orders that decode, placed and paid before records begin: the guard
	// refuses their events (waiting to ship: there is no other).
	for i := range 3 {
		id := fmt.Sprintf("13998%d000000", i)
		modified := accountingFrom.Add(time.Duration(20+i) * time.Hour)
		raw := mutateJSON(t, template, func(m map[string]any) {
			m["orderId"] = id
			m["modified"] = modified.Format(time.DateTime)
			m["orderState"] = "WAIT_SELLER_STOCK_OUT"
			m["orderStartTime"] = "2012-06-01 10:00:00"
			m["paymentConfirmTime"] = "2012-06-01 10:01:00"
			for _, c := range m["couponDetailList"].([]any) {
				c.(map[string]any)["orderId"] = id
			}
		})
		bad = append(bad, jdsim.Order{ID: id, Versions: []jdsim.Version{{Modified: modified, State: "WAIT_SELLER_STOCK_OUT", JSON: raw}}})
		s.bad = append(s.bad, corrupted{key: id, rawHas: fmt.Sprintf(`"order_id":%q`, id), guarded: true, reasonHas: "2012-06-01 10:00:00 is before 2015-01-01 00:00:00"})
	}
	// And one that is not an order object at all.
	notObject := []byte(`"order 139999990000"`)
	bad = append(bad, jdsim.Order{ID: "139999990000", Versions: []jdsim.Version{{Modified: accountingFrom.Add(30 * time.Hour), State: "WAIT_SELLER_STOCK_OUT", JSON: notObject}}})
	s.bad = append(s.bad, corrupted{key: "139999990000", raw: notObject, reasonHas: "not an orderInfoList element"})
	if err := sim.AddOrders(bad...); err != nil {
		t.Fatal(err)
	}
	s.api = httptest.NewServer(s.wire.wrap(t, sim))
	t.Cleanup(s.api.Close)
	return s
}

func (s *jdSource) minDeadLetters() int { return len(s.bad) }

// wantEvents is how many events of each type the book's orders give, read
// from each order's last version (all the platform serves) by the table of
// ingest/jd/README.md.
func (s *jdSource) wantEvents(t *testing.T) map[domain.EventType]int {
	want := map[domain.EventType]int{}
	for _, o := range s.book.Orders {
		var f struct{ PaymentConfirmTime, OrderState string }
		if err := json.Unmarshal(o.Versions[len(o.Versions)-1].JSON, &f); err != nil {
			t.Fatal(err)
		}
		want[domain.TypeOrderCreated]++
		if f.PaymentConfirmTime != "" {
			want[domain.TypeOrderPaid]++
		}
		switch f.OrderState {
		case "WAIT_GOODS_RECEIVE_CONFIRM":
			want[domain.TypeOrderShipped]++
		case "FINISHED_L":
			want[domain.TypeOrderCompleted]++
		case "TRADE_CANCELED":
			want[domain.TypeOrderCancelled]++
		}
	}
	return want
}

func (s *jdSource) check(t *testing.T, log logEvents, dls []projections.DeadLetterItem, figs projections.PlatformFigs) {
	t.Helper()
	checkPolled(t, "jd", s.wire, s.goods, s.bad, log, dls, s.wantEvents(t))
	l := s.book.Ledger
	if figs.GMVFen != l.GMVFen || figs.RefundsFen != l.RefundsFen || figs.Orders != int64(l.OrdersPaid) {
		t.Errorf("jd through the API: GMV %d refunds %d fen, %d orders; the platform's ledger: GMV %d refunds %d fen, %d orders",
			figs.GMVFen, figs.RefundsFen, figs.Orders, l.GMVFen, l.RefundsFen, l.OrdersPaid)
	}
	if n := len(log[domain.TypeOrderPaid]); n != l.OrdersPaid {
		t.Errorf("jd: %d payments in the log, the ledger has %d paid orders", n, l.OrdersPaid)
	}
}

// checkPolled does a poller's accounting: every order served is one the
// log holds (one OrderCreated per order: every order gives one), a
// repeat, or a corrupted one with its dead letters; and the log holds
// every event the good orders give, by type.
func checkPolled(t *testing.T, source string, wire *servedOrders, goods int, bad []corrupted, log logEvents, dls []projections.DeadLetterItem, want map[domain.EventType]int) {
	t.Helper()
	for typ := range log {
		if _, ok := want[typ]; !ok {
			want[typ] = 0
		}
	}
	for typ, n := range want {
		if got := len(log[typ]); got != n {
			t.Errorf("%s: %d distinct %s events in the log, the platform's orders give %d", source, got, typ, n)
		}
	}
	total, distinct := wire.counts()
	if distinct != goods+len(bad) {
		t.Errorf("%s: the platform served %d distinct orders, want its %d and the %d corrupted", source, distinct, goods, len(bad))
	}
	if total < 2*distinct {
		t.Errorf("%s: %d orders served for %d distinct: the second node did not poll everything again", source, total, distinct)
	}
	counted := len(log[domain.TypeOrderCreated])
	rejected := matchDeadLetters(t, source, bad, dls)
	balance(t, source, total, counted, 0, total-distinct, rejected)
}

type kuaishouSource struct {
	book  *kuaishousim.Book
	api   *httptest.Server
	bad   []corrupted
	wire  *servedOrders
	goods int
}

func newKuaishouSource(t *testing.T) *kuaishouSource {
	t.Helper()
	book, err := kuaishousim.Generate(kuaishousim.GenerateOptions{From: accountingFrom, Span: 72 * time.Hour, Orders: accountingSize(700), Seed: 32})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := kuaishousim.New(kuaishousim.Options{RateLimitEvery: 17})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.AddOrders(book.Orders...); err != nil {
		t.Fatal(err)
	}
	s := &kuaishouSource{book: book, goods: len(book.Orders), wire: &servedOrders{served: map[[32]byte]int{}, list: func(body []byte) ([]json.RawMessage, error) {
		var a struct {
			Data *struct {
				List []json.RawMessage `json:"orderList"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &a); err != nil || a.Data == nil {
			return nil, nil // an error answer (rate limit): no orders
		}
		return a.Data.List, nil
	}}}
	var template []byte // a paid order: an unpaid one's amounts are not read
	for _, o := range book.Orders {
		v := o.Versions[len(o.Versions)-1]
		var f struct {
			Base struct{ Status, PayTime int64 } `json:"orderBaseInfo"`
		}
		if err := json.Unmarshal(v.JSON, &f); err != nil {
			t.Fatal(err)
		}
		if f.Base.PayTime > 0 && f.Base.Status >= 30 && f.Base.Status < 80 {
			template = v.JSON
			break
		}
	}
	kinds := []struct {
		reasonHas string
		mutate    func(base, item map[string]any)
	}{
		{"totalFee", func(base, _ map[string]any) { base["totalFee"] = json.Number("79.6") }},
		{"status 60", func(base, _ map[string]any) { base["status"] = json.Number("60") }},
		{"num 0", func(_, item map[string]any) { item["num"] = json.Number("0") }},
	}
	var bad []kuaishousim.Order
	for i := range 3 {
		for k, kind := range kinds {
			oid := int64(2_004_399_000_000_000_000) + int64(i*10+k)
			updated := accountingFrom.Add(time.Duration(10+i*7+k) * time.Hour)
			raw := mutateJSON(t, template, func(m map[string]any) {
				base := m["orderBaseInfo"].(map[string]any)
				base["oid"] = json.Number(fmt.Sprint(oid))
				base["updateTime"] = json.Number(fmt.Sprint(updated.UnixMilli()))
				kind.mutate(base, m["orderItemInfo"].(map[string]any))
			})
			bad = append(bad, kuaishousim.Order{Oid: oid, Created: updated.Add(-time.Hour), Versions: []kuaishousim.Version{{Updated: updated, Status: 30, JSON: raw}}})
			s.bad = append(s.bad, corrupted{key: fmt.Sprint(oid), raw: raw, reasonHas: kind.reasonHas})
		}
	}
	// Orders that decode, placed and paid before records begin.
	for i := range 3 {
		oid := int64(2_004_399_000_000_000_050) + int64(i)
		updated := accountingFrom.Add(time.Duration(20+i) * time.Hour)
		old := time.Date(2012, 6, 1, 10, 0, 0, 0, domain.ChinaTime)
		raw := mutateJSON(t, template, func(m map[string]any) {
			base := m["orderBaseInfo"].(map[string]any)
			base["oid"] = json.Number(fmt.Sprint(oid))
			base["status"] = json.Number("30")
			base["createTime"] = json.Number(fmt.Sprint(old.UnixMilli()))
			base["payTime"] = json.Number(fmt.Sprint(old.Add(time.Minute).UnixMilli()))
			base["sendTime"], base["recvTime"] = json.Number("0"), json.Number("0")
			base["updateTime"] = json.Number(fmt.Sprint(updated.UnixMilli()))
		})
		bad = append(bad, kuaishousim.Order{Oid: oid, Created: old, Versions: []kuaishousim.Version{{Updated: updated, Status: 30, JSON: raw}}})
		s.bad = append(s.bad, corrupted{key: fmt.Sprint(oid), rawHas: fmt.Sprintf(`"order_id":"%d"`, oid), guarded: true, reasonHas: "2012-06-01 10:00:00 is before 2015-01-01 00:00:00"})
	}
	// An oid that went through float64, and an element that is no object.
	floatOID := mutateJSON(t, template, func(m map[string]any) {
		m["orderBaseInfo"].(map[string]any)["oid"] = json.Number("2.004399000000099e18")
	})
	notObject := []byte(`[2004399000000000098]`)
	for i, raw := range [][]byte{floatOID, notObject} {
		oid := int64(2_004_399_000_000_000_098) + int64(i)
		updated := accountingFrom.Add(time.Duration(40+i) * time.Hour)
		bad = append(bad, kuaishousim.Order{Oid: oid, Created: updated.Add(-time.Hour), Versions: []kuaishousim.Version{{Updated: updated, Status: 30, JSON: raw}}})
	}
	s.bad = append(s.bad, corrupted{key: "2.004399000000099e18", raw: floatOID, reasonHas: "64-bit integer"},
		corrupted{key: "[2004399000000000098]", raw: notObject, reasonHas: "not an orderList element"})
	if err := sim.AddOrders(bad...); err != nil {
		t.Fatal(err)
	}
	s.api = httptest.NewServer(s.wire.wrap(t, sim))
	t.Cleanup(s.api.Close)
	return s
}

func (s *kuaishouSource) minDeadLetters() int { return len(s.bad) }

// wantEvents is how many events of each type the book's orders give, read
// from each order's last version by the table of ingest/kuaishou/README.md.
func (s *kuaishouSource) wantEvents(t *testing.T) map[domain.EventType]int {
	want := map[domain.EventType]int{}
	for _, o := range s.book.Orders {
		var f struct {
			Base struct{ Status, PayTime, SendTime int64 } `json:"orderBaseInfo"`
		}
		if err := json.Unmarshal(o.Versions[len(o.Versions)-1].JSON, &f); err != nil {
			t.Fatal(err)
		}
		b := f.Base
		want[domain.TypeOrderCreated]++
		if b.PayTime > 0 {
			want[domain.TypeOrderPaid]++
		}
		if b.Status == 40 || (b.Status >= 50 && b.SendTime > 0) {
			want[domain.TypeOrderShipped]++
		}
		switch b.Status {
		case 50, 70:
			want[domain.TypeOrderCompleted]++
		case 80:
			want[domain.TypeOrderCancelled]++
		}
	}
	return want
}

func (s *kuaishouSource) check(t *testing.T, log logEvents, dls []projections.DeadLetterItem, figs projections.PlatformFigs) {
	t.Helper()
	checkPolled(t, "kuaishou", s.wire, s.goods, s.bad, log, dls, s.wantEvents(t))
	l := s.book.Ledger
	if figs.GMVFen != l.GMVFen || figs.RefundsFen != l.RefundsFen || figs.Orders != int64(l.OrdersPaid) {
		t.Errorf("kuaishou through the API: GMV %d refunds %d fen, %d orders; the platform's ledger: GMV %d refunds %d fen, %d orders",
			figs.GMVFen, figs.RefundsFen, figs.Orders, l.GMVFen, l.RefundsFen, l.OrdersPaid)
	}
	if n := len(log[domain.TypeOrderPaid]); n != l.OrdersPaid {
		t.Errorf("kuaishou: %d payments in the log, the ledger has %d paid orders", n, l.OrdersPaid)
	}
}

// ---- files

// importFile is one file the test writes and imports, and what it knows
// about its rows.
type importFile struct {
	name    string
	header  bool     // the first line is a header, not a row
	lines   []string // the file's lines, header first
	bad     []corrupted
	dupRows int // rows equal to an earlier row
	summary file.Summary
}

type fileSource struct {
	files []*importFile
	// What the distinct valid rows add up to.
	gmv, refunds, income domain.Fen
	orders               map[string]bool
	distinctRows         int
}

func (f *importFile) add(line string) int {
	f.lines = append(f.lines, line)
	return len(f.lines) // its line number
}

func (f *importFile) addBad(line, reasonHas string) {
	n := f.add(line)
	f.bad = append(f.bad, corrupted{key: fmt.Sprintf("line %d:", n), reasonHas: reasonHas})
}

func newFileSource(t *testing.T) *fileSource {
	t.Helper()
	s := &fileSource{orders: map[string]bool{}}
	r := rand.New(rand.NewPCG(7, 8))
	day := func(i int) string {
		return accountingFrom.Add(time.Duration(i%(5*24*60)) * time.Minute).Format(time.DateTime)
	}

	// Orders, CSV: paid lines, partial refunds of some, exact duplicates of
	// earlier rows, and rows of every reason a row is rejected for.
	orders := &importFile{name: "orders-2026-11.csv", header: true}
	orders.add("platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id")
	var valid []string
	badOrders := []struct {
		reasonHas string
		row       func(i int) string
	}{
		{"more than two decimals", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,1,12.345,paid,%s,", i, day(i)) }},
		{"amount", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,1,abc,paid,%s,", i, day(i)) }},
		{"sku_id", func(i int) string { return fmt.Sprintf("file,B-%d,1,,1,1.00,paid,%s,", i, day(i)) }},
		{"occurred_at", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,1,1.00,paid,2026-11-32 10:00:00,", i) }},
		{"event", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,1,1.00,shipped,%s,", i, day(i)) }},
		{"cancelled", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,1,1.00,cancelled,%s,", i, day(i)) }},
		{"quantity", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,0,1.00,paid,%s,", i, day(i)) }},
		{"platform", func(i int) string { return fmt.Sprintf(",B-%d,1,832-FLW-0107,1,1.00,paid,%s,", i, day(i)) }},
		{"fields", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,1,1.00,paid", i) }},
		{"quote", func(i int) string { return fmt.Sprintf("file,\"B-%d,1,832-FLW-0107,1,1.00,paid,%s,", i, day(i)) }},
		{"more than zero", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,,0.00,refunded,%s,", i, day(i)) }},
		{`platform "taobao" is unknown`, func(i int) string { return fmt.Sprintf("taobao,B-%d,1,832-FLW-0107,1,1.00,paid,%s,", i, day(i)) }},
		{"is before 2015-01-01 00:00:00", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,1,1.00,paid,1900-01-01 10:00:00,", i) }},
		{"is in the future", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,1,1.00,paid,2099-01-01 10:00:00,", i) }},
		{"a payment cannot be negative", func(i int) string { return fmt.Sprintf("file,B-%d,1,832-FLW-0107,1,-1.00,paid,%s,", i, day(i)) }},
	}
	paid := map[string]domain.Fen{} // order id → amount of its line 1
	for i := range accountingSize(2400) {
		switch k := r.IntN(100); {
		case k < 8 && len(valid) > 0: // an exact duplicate of an earlier valid row
			orders.add(valid[r.IntN(len(valid))])
			orders.dupRows++
		case k < 16: // a rejected row
			b := badOrders[(i/7)%len(badOrders)]
			orders.addBad(b.row(i), b.reasonHas)
		case k < 24 && len(paid) > 0: // a partial refund of a paid line, once
			id := fmt.Sprintf("F-%d", r.IntN(i))
			amount, ok := paid[id]
			if !ok || amount < 2 {
				continue
			}
			delete(paid, id)
			refund := amount / 2
			row := fmt.Sprintf("file,%s,1,832-FLW-0107,,%s,refunded,%s,", id, refund.String(), day(i+600))
			orders.add(row)
			valid = append(valid, row)
			s.refunds += refund
			s.distinctRows++
		case k < 26 && len(paid) > 0: // a refund of more than the line was paid
			id := fmt.Sprintf("F-%d", r.IntN(i))
			amount, ok := paid[id]
			if !ok {
				continue
			}
			delete(paid, id)
			orders.addBad(fmt.Sprintf("file,%s,1,832-FLW-0107,,%s,refunded,%s,", id, (amount+1).String(), day(i+600)), "would total")
		default: // a paid line
			id := fmt.Sprintf("F-%d", i)
			qty := 1 + r.IntN(3)
			amount := domain.Fen(qty * (1990 + r.IntN(8000)))
			row := fmt.Sprintf("file,%s,1,832-FLW-0107,%d,%s,paid,%s,", id, qty, amount.String(), day(i))
			orders.add(row)
			valid = append(valid, row)
			paid[id] = amount
			s.gmv += amount
			s.orders[id] = true
			s.distinctRows++
		}
	}

	// Income, JSONL: payments to registered households, duplicates, bad rows.
	income := &importFile{name: "income-2026-11.jsonl"}
	var validIncome []string
	households := []string{"H-0001", "H-0002", "H-0003", "H-0004", "H-0005"}
	for i := range accountingSize(900) {
		switch k := r.IntN(100); {
		case k < 8 && len(validIncome) > 0:
			income.add(validIncome[r.IntN(len(validIncome))])
			income.dupRows++
		case k < 12:
			income.addBad(fmt.Sprintf(`{"household_id":"H-0001","kind":"bonus","amount":"1.00","enterprise_id":"E-GARDEN","occurred_at":%q,"reference":"X-%d"}`, day(i), i), "kind")
		case k < 15:
			income.addBad(fmt.Sprintf(`{"household_id":"H-0001","kind":"wage","amount":0,"enterprise_id":"E-GARDEN","occurred_at":%q,"reference":"X-%d"}`, day(i), i), "more than zero")
		case k < 18:
			income.addBad(fmt.Sprintf(`{"household_id":"H-0001","kind":"wage","amount":1.5e2,"enterprise_id":"E-GARDEN","occurred_at":%q,"reference":"X-%d"}`, day(i), i), "amount")
		case k < 21:
			income.addBad(fmt.Sprintf(`{"household_id":"11010519491231%04d","kind":"wage","amount":"1.00","enterprise_id":"E-GARDEN","occurred_at":%q,"reference":"X-%d"}`, i, day(i), i), "looks like an ID-card number")
		case k < 22:
			income.addBad(fmt.Sprintf(`{"household_id":"H-9999","kind":"wage","amount":"1.00","enterprise_id":"E-GARDEN","occurred_at":%q,"reference":"X-%d"}`, day(i), i), `household "H-9999" is not registered`)
		case k < 23:
			income.addBad(fmt.Sprintf(`{"household_id":"H-0001","kind":"wage","amount":"1.00","enterprise_id":"E-NONE","occurred_at":%q,"reference":"X-%d"}`, day(i), i), `enterprise "E-NONE" is not registered`)
		case k < 24:
			income.addBad(fmt.Sprintf(`{"household_id":"H-0001","kind":"wage","amount":"1.00","enterprise_id":"E-GARDEN","occurred_at":"1900-05-31 18:00:00","reference":"X-%d"}`, i), "occurred_at 1900-05-31 18:00:00 is before")
		case k < 25:
			income.addBad(fmt.Sprintf(`{"household_id":"H-0001","kind":"wage","amount":"1.00","enterprise_id":"E-GARDEN","occurred_at":%q,"reference":"X-%d","bonus":true}`, day(i), i), "bonus")
		default:
			amount := domain.Fen(100 + r.IntN(200000))
			row := fmt.Sprintf(`{"household_id":%q,"kind":"wage","amount":%q,"enterprise_id":"E-GARDEN","occurred_at":%q,"reference":"PAY-%d"}`,
				households[i%len(households)], amount.String(), day(i), i)
			income.add(row)
			validIncome = append(validIncome, row)
			s.income += amount
			s.distinctRows++
		}
	}
	s.files = []*importFile{orders, income}
	return s
}

func (s *fileSource) minDeadLetters() int {
	n := 0
	for _, f := range s.files {
		n += len(f.bad)
	}
	return n
}

// importAll imports each file as `loquat import` does.
func (s *fileSource) importAll(t *testing.T, node *server.Node) {
	t.Helper()
	for _, f := range s.files {
		content := []byte(strings.Join(f.lines, "\n") + "\n")
		// As `loquat import` does: the guard with the log's registry in
		// front of the log, and asked about every row, so a refused row is
		// rejected by its line.
		reg, err := eventlog.ReadRegistry(context.Background(), node.Log())
		if err != nil {
			t.Fatal(err)
		}
		source := "file:" + f.name
		guard, err := ingest.NewGuard(node.Writer(), ingest.GuardConfig{Source: source, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := file.Import(context.Background(), bytes.NewReader(content), int64(len(content)),
			file.Options{Source: source, Format: file.FormatFromName(f.name), Check: guard.Check}, guard)
		if err != nil {
			t.Fatalf("import %s: %v", f.name, err)
		}
		f.summary = sum
	}
}

func (s *fileSource) check(t *testing.T, node *server.Node, log logEvents, dls []projections.DeadLetterItem, figs projections.PlatformFigs) {
	t.Helper()
	rows, dups, rejected := 0, 0, 0
	for _, f := range s.files {
		var mine []projections.DeadLetterItem
		for _, d := range dls {
			if strings.HasPrefix(d.Source, "file:"+f.name+":") {
				// The source names the line; the reason must too.
				line := strings.TrimPrefix(d.Source, "file:"+f.name+":")
				if !strings.HasPrefix(d.Reason, "line "+line+":") {
					t.Errorf("file %s: dead letter of line %s has reason %q", f.name, line, d.Reason)
				}
				mine = append(mine, d)
			}
		}
		n := matchDeadLetters(t, "file "+f.name, f.bad, mine)
		if len(mine) != len(f.bad) || f.summary.Rejected != len(f.bad) {
			t.Errorf("file %s: %d dead letters, the import rejected %d rows; the test corrupted %d", f.name, len(mine), f.summary.Rejected, len(f.bad))
		}
		if f.summary.Duplicates != f.dupRows || f.summary.Rows != f.summary.Events+f.summary.Duplicates+f.summary.Rejected {
			t.Errorf("file %s: the import's summary %+v; the test wrote %d exact duplicates", f.name, f.summary, f.dupRows)
		}
		rows += len(f.lines)
		if f.header {
			rows--
		}
		dups += f.dupRows
		rejected += n
	}
	var matched int
	for _, f := range s.files {
		for _, d := range dls {
			if strings.HasPrefix(d.Source, "file:"+f.name+":") {
				matched++
			}
		}
	}
	if matched != len(dls) {
		t.Errorf("file: %d dead letters name none of the files imported", len(dls)-matched)
	}
	if log.count() != s.distinctRows {
		t.Errorf("file: %d distinct events in the log, the files hold %d distinct valid rows", log.count(), s.distinctRows)
	}
	balance(t, "file", rows, log.count(), 0, dups, rejected)

	if figs.GMVFen != s.gmv || figs.RefundsFen != s.refunds || figs.Orders != int64(len(s.orders)) {
		t.Errorf("file through the API: GMV %d refunds %d fen, %d orders; the rows add up to GMV %d refunds %d fen, %d orders",
			figs.GMVFen, figs.RefundsFen, figs.Orders, s.gmv, s.refunds, len(s.orders))
	}
	var hh projections.Page[projections.HouseholdSummary]
	samples.GetJSON(t, node.URL(), "/api/v1/households?limit=10000", &hh)
	var income domain.Fen
	for _, h := range hh.Items {
		income += h.RecordedIncomeFen
	}
	if income != s.income {
		t.Errorf("file: households' recorded income %d fen through the API, the rows add up to %d", income, s.income)
	}
}
