// Package samples runs shared/samples (one copy, in sampledata/) through the
// real adapters, for the end-to-end tests of every deployment: it loads them
// through the real endpoints, pollers and importer, and checks the API's
// answers against the figures of samples/README.md.
package samples

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/ingest/file"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
	"github.com/loquat-dev/loquat/ingest/kuaishou"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
)

// File returns a sample file's bytes (sampledata.File).
func File(name string) []byte { return sampledata.File(name) }

// Douyin credentials the sample pushes are signed with (samples/README.md).
const (
	DouyinAppKey    = "6839207136574162434"
	DouyinAppSecret = "loquat-sample-secret"
)

// DouyinPushes are the sample push bodies, in platform order.
var DouyinPushes = []string{"douyin-push-paid.json", "douyin-push-refund.json"}

// ImportFiles are imported with `loquat import`.
var ImportFiles = []string{"orders.csv", "income.csv"}

// Credentials of the simulated JD and Kuaishou platforms.
const (
	JDAppKey, JDAppSecret, JDAccessToken                    = jdsim.SampleAppKey, jdsim.SampleAppSecret, jdsim.SampleAccessToken
	KuaishouAppKey, KuaishouSignSecret, KuaishouAccessToken = kuaishousim.SampleAppKey, kuaishousim.SampleSignSecret, kuaishousim.SampleAccessToken
)

// The pollers run on the samples' own time: they start before the first
// order and their clock stands still a few days after the last one (Kuaishou
// searches at most 90 days back, so today's clock would be refused).
var (
	PollStart = time.Date(2020, 4, 29, 0, 0, 0, 0, domain.ChinaTime)
	PollClock = func() time.Time { return time.Date(2020, 5, 6, 0, 0, 0, 0, domain.ChinaTime) }
)

// NewJDPlatform returns a simulated JD serving the sample search page.
func NewJDPlatform() (*jdsim.Platform, error) {
	p, err := jdsim.New(jdsim.Options{})
	if err != nil {
		return nil, err
	}
	return p, p.AddRecordedPage(File("jd-order-search.json"))
}

// NewKuaishouPlatform returns a simulated Kuaishou serving the sample page.
func NewKuaishouPlatform() (*kuaishousim.Platform, error) {
	p, err := kuaishousim.New(kuaishousim.Options{})
	if err != nil {
		return nil, err
	}
	return p, p.AddRecordedPage(File("kuaishou-order-cursor-list.json"))
}

// JDConfig points a JD poller at a simulated JD served at baseURL.
func JDConfig(baseURL string) jd.Config {
	return jd.Config{AppKey: JDAppKey, AppSecret: JDAppSecret, AccessToken: JDAccessToken,
		APIBaseURL: baseURL + "/routerjson", Start: PollStart, Window: 24 * time.Hour, Interval: time.Second, Now: PollClock}
}

// KuaishouConfig points a Kuaishou poller at a simulated Kuaishou at baseURL.
func KuaishouConfig(baseURL string) kuaishou.Config {
	return kuaishou.Config{AppKey: KuaishouAppKey, SignSecret: KuaishouSignSecret, AccessToken: KuaishouAccessToken,
		APIBaseURL: baseURL, Start: PollStart, Window: 24 * time.Hour, Interval: time.Second, Now: PollClock}
}

// Platforms are the simulated platforms the samples are polled from, served
// over HTTP until Close.
type Platforms struct {
	Douyin, JD, Kuaishou *httptest.Server
}

// StartPlatforms serves the simulated Douyin, JD and Kuaishou with the samples.
func StartPlatforms() (*Platforms, error) {
	dy, err := NewDouyinPlatform()
	if err != nil {
		return nil, err
	}
	j, err := NewJDPlatform()
	if err != nil {
		return nil, err
	}
	k, err := NewKuaishouPlatform()
	if err != nil {
		return nil, err
	}
	return &Platforms{Douyin: httptest.NewServer(dy), JD: httptest.NewServer(j), Kuaishou: httptest.NewServer(k)}, nil
}

// Close stops the platforms.
func (p *Platforms) Close() {
	p.Douyin.Close()
	p.JD.Close()
	p.Kuaishou.Close()
}

// memoryCursors is an ingest.CursorStore in memory.
type memoryCursors struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *memoryCursors) Load(_ context.Context, name string) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[name]
	return v, ok, nil
}

func (c *memoryCursors) Save(_ context.Context, name, cursor string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[name] = cursor
	return nil
}

// DouyinConfig points a Douyin push handler's order-detail fetches at a
// simulated 抖店 served at baseURL.
func DouyinConfig(baseURL string) douyin.Config {
	return douyin.Config{AppKey: DouyinAppKey, AppSecret: DouyinAppSecret, AccessToken: douyinsim.SampleAccessToken, APIBaseURL: baseURL}
}

// Sources are the samples' platforms as a node takes them: Douyin's pushes
// and, with pollers, JD and Kuaishou polled from the simulated platforms.
func (p *Platforms) Sources(pollers bool) []ingest.Source {
	sources := []ingest.Source{DouyinConfig(p.Douyin.URL)}
	if pollers {
		sources = append(sources, JDConfig(p.JD.URL), KuaishouConfig(p.Kuaishou.URL))
	}
	return sources
}

// PollOnce polls each polled platform of the samples at the platforms' URLs
// from the start, with cursors of its own, into sink: the JD and Kuaishou
// samples' events, as the pollers produce them.
func PollOnce(ctx context.Context, p *Platforms, sink ingest.Sink) error {
	cursors := &memoryCursors{m: map[string]string{}}
	for _, src := range p.Sources(true) {
		ps, ok := src.(ingest.PollingSource)
		if !ok {
			continue
		}
		poller, err := ps.NewPoller(sink, cursors, nil)
		if err != nil {
			return err
		}
		if err := poller.(ingest.CatchUpper).RunOnce(ctx); err != nil {
			return fmt.Errorf("poll %s: %w", src.Platform(), err)
		}
	}
	return nil
}

// NewDouyinPlatform returns a simulated 抖店 platform that knows the sample
// order, for the node's order-detail fetches.
func NewDouyinPlatform() (*douyinsim.Platform, error) {
	p, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{AppKey: DouyinAppKey, AppSecret: DouyinAppSecret})
	if err != nil {
		return nil, err
	}
	return p, p.AddOrderDetailJSON(File("douyin-order-detail.json"))
}

// SignMD5 is the push signature: hex MD5 of app_key + body + app_secret.
func SignMD5(body []byte) string {
	sum := md5.Sum(append(append([]byte(DouyinAppKey), body...), DouyinAppSecret...))
	return hex.EncodeToString(sum[:])
}

// SignHMAC is the push signature with sign-method hmac-sha256.
func SignHMAC(body []byte) string {
	m := hmac.New(sha256.New, []byte(DouyinAppSecret))
	m.Write(append(append([]byte(DouyinAppKey), body...), DouyinAppSecret...))
	return hex.EncodeToString(m.Sum(nil))
}

// PushDouyin posts a push body to baseURL's /ingest/douyin, signed unless
// sign is false, and returns the status and answer.
func PushDouyin(ctx context.Context, baseURL string, body []byte, hmacSign bool) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/ingest/douyin", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if hmacSign {
		req.Header.Set("sign-method", "hmac-sha256")
		req.Header.Set("event-sign", SignHMAC(body))
	} else {
		req.Header.Set("event-sign", SignMD5(body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer), err
}

// LoadRegistry appends the sample registry.
func LoadRegistry(ctx context.Context, sink ingest.Sink) error {
	_, err := registry.Load(ctx, File("registry.json"), sink)
	return err
}

// Import imports one sample file as `loquat import` does.
func Import(ctx context.Context, name string, sink ingest.Sink) (file.Summary, error) {
	return ImportBytes(ctx, name, File(name), sink)
}

// LoadAll loads the registry, pushes the Douyin samples through baseURL and
// imports the files, in order. The JD and Kuaishou samples come from the
// node's own pollers (see JDConfig, KuaishouConfig).
func LoadAll(ctx context.Context, baseURL string, sink ingest.Sink) error {
	if err := LoadRegistry(ctx, sink); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return LoadAllButRegistry(ctx, baseURL, sink)
}

// LoadAllButRegistry pushes the Douyin samples through baseURL and imports the files.
func LoadAllButRegistry(ctx context.Context, baseURL string, sink ingest.Sink) error {
	for i, name := range DouyinPushes {
		status, answer, err := PushDouyin(ctx, baseURL, File(name), i%2 == 1)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("push %s: HTTP %d %s", name, status, answer)
		}
	}
	for _, name := range ImportFiles {
		if _, err := Import(ctx, name, sink); err != nil {
			return fmt.Errorf("import %s: %w", name, err)
		}
	}
	return nil
}

// ImportBytes imports content as if it were a file named name.
func ImportBytes(ctx context.Context, name string, content []byte, sink ingest.Sink) (file.Summary, error) {
	return file.Import(ctx, bytes.NewReader(content), int64(len(content)), file.Options{Source: "file:" + name, Format: file.FormatFromName(name)}, sink)
}

// collector is an ingest.Sink keeping what it is given.
type collector struct {
	mu     sync.Mutex
	events []domain.Event
	dead   []domain.DeadLetter
}

func (c *collector) Append(_ context.Context, events ...domain.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, events...)
	return nil
}

func (c *collector) DeadLetter(_ context.Context, dl domain.DeadLetter) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = append(c.dead, dl)
	return nil
}

// Events runs every sample through the real adapters — the Douyin push
// handler (with the simulated platform serving order details over HTTP), the
// JD and Kuaishou pollers (polling the simulated platforms), the file
// importer, the registry loader — and returns the events they
// produce: the registry's, and the others in sample order.
func Events(ctx context.Context) (registryEvents, events []domain.Event, err error) {
	reg := &collector{}
	if err := LoadRegistry(ctx, reg); err != nil {
		return nil, nil, err
	}
	platforms, err := StartPlatforms()
	if err != nil {
		return nil, nil, err
	}
	defer platforms.Close()
	sink := &collector{}
	h, err := douyin.NewHandler(DouyinConfig(platforms.Douyin.URL), sink, nil)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range DouyinPushes {
		body := File(name)
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/ingest/douyin", bytes.NewReader(body))
		req.Header.Set("event-sign", SignMD5(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			return nil, nil, fmt.Errorf("push %s: HTTP %d %s", name, rec.Code, rec.Body)
		}
	}
	if err := PollOnce(ctx, platforms, sink); err != nil {
		return nil, nil, err
	}
	for _, name := range ImportFiles {
		if _, err := Import(ctx, name, sink); err != nil {
			return nil, nil, err
		}
	}
	if len(sink.dead) > 0 {
		return nil, nil, fmt.Errorf("samples rejected: %v", sink.dead[0].Reason)
	}
	return reg.events, sink.events, nil
}
