package kafka_test

import (
	"context"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// publishTracker lets a test subscriber hold a message until the Publish
// call that wrote it has returned, plus recordDelay: Watermill's
// TestReconnect records a message as published only after Publish returns,
// in another goroutine, and compares against that record as soon as the
// last message arrives (see TestWatermillReconnect).
type publishTracker struct {
	mu   sync.Mutex
	done map[string]chan struct{} // closed when the message's Publish returned
	at   map[string]time.Time
}

const recordDelay = 20 * time.Millisecond

func newPublishTracker() *publishTracker {
	return &publishTracker{done: map[string]chan struct{}{}, at: map[string]time.Time{}}
}

func (p *publishTracker) ch(uuid string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.done[uuid]
	if !ok {
		c = make(chan struct{})
		p.done[uuid] = c
	}
	return c
}

func (p *publishTracker) markPublished(uuid string) {
	c := p.ch(uuid)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.at[uuid]; !ok {
		p.at[uuid] = time.Now()
		close(c)
	}
}

func (p *publishTracker) publishedAt(uuid string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.at[uuid]
}

type trackedPublisher struct {
	message.Publisher
	p *publishTracker
}

func (p *publishTracker) publisher(pub message.Publisher) message.Publisher {
	return trackedPublisher{pub, p}
}

func (t trackedPublisher) Publish(topic string, msgs ...*message.Message) error {
	if err := t.Publisher.Publish(topic, msgs...); err != nil {
		return err
	}
	for _, msg := range msgs {
		t.p.markPublished(msg.UUID)
	}
	return nil
}

type holdingSubscriber struct {
	message.Subscriber
	p *publishTracker
}

func (p *publishTracker) subscriber(sub message.Subscriber) message.Subscriber {
	return holdingSubscriber{sub, p}
}

// Subscribe forwards every message, unchanged (acks go to the adapter), once
// its Publish has returned and recordDelay has passed since.
func (h holdingSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	in, err := h.Subscriber.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	go func() {
		defer close(out)
		for msg := range in {
			select {
			case <-h.p.ch(msg.UUID):
				time.Sleep(time.Until(h.p.publishedAt(msg.UUID).Add(recordDelay)))
			case <-time.After(10 * time.Second):
			}
			out <- msg
		}
	}()
	return out, nil
}
