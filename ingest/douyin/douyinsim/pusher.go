package douyinsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"time"
)

// PusherOptions configures a Pusher.
type PusherOptions struct {
	// URL receives the pushes, e.g. http://localhost:8080/ingest/douyin. Required.
	URL string
	// AppKey and AppSecret sign the pushes. Default SampleAppKey, SampleAppSecret.
	AppKey    string
	AppSecret string
	// SignMethod is SignMD5 (default) or SignHMACSHA256.
	SignMethod string
	// BatchSize is the most messages one push carries. Default 50.
	BatchSize int
	// ShuffleWindow, when above 1, shuffles the messages within each run of
	// that many (in time order), so some refunds arrive before their
	// payment. Default 0: time order.
	ShuffleWindow int
	// Seed makes the shuffle. Default 0.
	Seed uint64
	// MaxAttempts bounds the pushes of one batch. Default 5.
	MaxAttempts int
	// Backoff is the wait before a batch's second attempt, doubled for each
	// next one and capped at 2s. Default 50ms.
	Backoff time.Duration
	// HTTPClient sends the pushes. Default: a client with a 30s timeout.
	HTTPClient *http.Client
	// OnProgress, if set, is called after each batch is accepted.
	OnProgress func(Progress)
}

// Progress is how far a Push has got.
type Progress struct {
	Batches, BatchesDone   int
	Messages, MessagesDone int
	// Retries counts pushes beyond each batch's first.
	Retries int
}

func (o *PusherOptions) setDefaults() {
	if o.AppKey == "" {
		o.AppKey = SampleAppKey
	}
	if o.AppSecret == "" {
		o.AppSecret = SampleAppSecret
	}
	if o.SignMethod == "" {
		o.SignMethod = SignMD5
	}
	if o.BatchSize == 0 {
		o.BatchSize = 50
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff == 0 {
		o.Backoff = 50 * time.Millisecond
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
}

// Validate reports every problem at once.
func (o PusherOptions) Validate() error {
	var errs []error
	if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("douyinsim: push url %q is not an http(s) URL", o.URL))
	}
	if o.SignMethod != SignMD5 && o.SignMethod != SignHMACSHA256 {
		errs = append(errs, fmt.Errorf("douyinsim: sign method %q is neither %s nor %s", o.SignMethod, SignMD5, SignHMACSHA256))
	}
	if o.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("douyinsim: batch size %d must be at least 1", o.BatchSize))
	}
	if o.ShuffleWindow < 0 {
		errs = append(errs, fmt.Errorf("douyinsim: shuffle window %d is negative", o.ShuffleWindow))
	}
	if o.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("douyinsim: max attempts %d must be at least 1", o.MaxAttempts))
	}
	if o.Backoff <= 0 {
		errs = append(errs, fmt.Errorf("douyinsim: backoff %s must be positive", o.Backoff))
	}
	return errors.Join(errs...)
}

// ErrRejected is wrapped by Push when a batch is still refused after
// MaxAttempts pushes.
var ErrRejected = errors.New("push rejected")

// Pusher pushes messages to an endpoint the way the platform does: signed
// batches, each pushed again until answered {"code":0}.
type Pusher struct {
	opts PusherOptions
}

// NewPusher sets the defaults, validates and builds a Pusher.
func NewPusher(opts PusherOptions) (*Pusher, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &Pusher{opts: opts}, nil
}

// Sequence returns msgs in the order Push sends them: by At, then shuffled
// within each ShuffleWindow. msgs is not modified.
func (p *Pusher) Sequence(msgs []Message) []Message {
	out := slices.Clone(msgs)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	if w := p.opts.ShuffleWindow; w > 1 {
		rng := rand.New(rand.NewPCG(p.opts.Seed, 0x5bff1e))
		for lo := 0; lo < len(out); lo += w {
			win := out[lo:min(lo+w, len(out))]
			rng.Shuffle(len(win), func(i, j int) { win[i], win[j] = win[j], win[i] })
		}
	}
	return out
}

// Push sends msgs in Sequence order, BatchSize at a time, one batch after
// the other. It returns when every batch was accepted, a batch was refused
// MaxAttempts times (ErrRejected), or ctx ended.
func (p *Pusher) Push(ctx context.Context, msgs []Message) error {
	seq := p.Sequence(msgs)
	prog := Progress{Messages: len(seq), Batches: (len(seq) + p.opts.BatchSize - 1) / p.opts.BatchSize}
	for lo := 0; lo < len(seq); lo += p.opts.BatchSize {
		batch := seq[lo:min(lo+p.opts.BatchSize, len(seq))]
		retries, err := p.pushBatch(ctx, batch)
		prog.Retries += retries
		if err != nil {
			return fmt.Errorf("douyinsim: batch %d of %d: %w", prog.BatchesDone+1, prog.Batches, err)
		}
		prog.BatchesDone++
		prog.MessagesDone += len(batch)
		if p.opts.OnProgress != nil {
			p.opts.OnProgress(prog)
		}
	}
	return nil
}

func (p *Pusher) pushBatch(ctx context.Context, batch []Message) (retries int, err error) {
	body, err := EncodeBatch(batch)
	if err != nil {
		return 0, err
	}
	sign := PushSignature(p.opts.AppKey, p.opts.AppSecret, body, p.opts.SignMethod)
	backoff := p.opts.Backoff
	for attempt := 1; ; attempt++ {
		err = p.post(ctx, body, sign)
		if err == nil {
			return attempt - 1, nil
		}
		if attempt >= p.opts.MaxAttempts {
			return attempt - 1, fmt.Errorf("%w after %d attempts: %w", ErrRejected, attempt, err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt - 1, ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// post sends one push and reports whether it was answered {"code":0}.
func (p *Pusher) post(ctx context.Context, body []byte, sign string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.opts.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("app-id", p.opts.AppKey)
	req.Header.Set("event-sign", sign)
	if p.opts.SignMethod == SignHMACSHA256 {
		req.Header.Set("sign-method", SignHMACSHA256)
	}
	resp, err := p.opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var ans struct {
		Code *int   `json:"code"`
		Msg  string `json:"msg"`
	}
	if err := json.Unmarshal(b, &ans); err != nil || ans.Code == nil {
		return fmt.Errorf("HTTP %d, answer is not {code, msg}", resp.StatusCode)
	}
	if *ans.Code != 0 {
		return fmt.Errorf("HTTP %d, code %d: %s", resp.StatusCode, *ans.Code, ans.Msg)
	}
	return nil
}
