package alerting

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// memStore is an in-memory outbox with the Store's semantics (alerts and
// leases are not needed by the deliverer).
type memStore struct {
	mu     sync.Mutex
	rows   map[int64]*memRow
	refs   map[string]string
	nextID int64
}

type memRow struct {
	Outgoing
	sent, abandoned bool
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{rows: map[int64]*memRow{}, refs: map[string]string{}} }

func (m *memStore) enqueue(receiver string, n Notification, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	m.rows[m.nextID] = &memRow{Outgoing: Outgoing{ID: m.nextID, Receiver: receiver, Notification: n, NotBefore: at, CreatedAt: at}}
}

func (m *memStore) Alerts(context.Context) ([]StoredAlert, error) { return nil, nil }
func (m *memStore) SaveAlerts(context.Context, int64, []StoredAlert, []Outgoing, []LinkFailover) error {
	return errors.New("not used")
}
func (m *memStore) Lease(context.Context, string, string, time.Duration, time.Time) (int64, bool, error) {
	return 0, false, errors.New("not used")
}

func (m *memStore) Due(_ context.Context, now time.Time, limit int) ([]Outgoing, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Outgoing
	for _, r := range m.rows {
		if !r.sent && !r.abandoned && !r.NotBefore.After(now) {
			out = append(out, r.Outgoing)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memStore) Sent(_ context.Context, id int64, ref string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rows[id]
	r.sent = true
	if ref != "" {
		m.refs[r.Notification.DedupeKey+"|"+r.Receiver] = ref
	}
	return nil
}

func (m *memStore) Retry(_ context.Context, id int64, notBefore time.Time, lastErr string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rows[id]
	r.Attempts++
	r.NotBefore, r.LastError = notBefore, lastErr
	return nil
}

func (m *memStore) Abandon(_ context.Context, id int64, lastErr string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[id].abandoned, m.rows[id].LastError = true, lastErr
	return nil
}

func (m *memStore) DelayReceiver(_ context.Context, receiver string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rows {
		if r.Receiver == receiver && !r.sent && r.NotBefore.Before(until) {
			r.NotBefore = until
		}
	}
	return nil
}

func (m *memStore) Ref(_ context.Context, key, receiver string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refs[key+"|"+receiver], nil
}

// scripted is a receiver that answers from a script, then accepts.
type scripted struct {
	script []Delivery // failures to answer first (Retry/RetryAfter)
	fatal  map[string]bool
	got    []string // "kind key ref" per accepted notification
	calls  int
}

func (s *scripted) Notify(_ context.Context, n Notification, ref string) (Delivery, error) {
	s.calls++
	if s.fatal[n.DedupeKey] {
		return Delivery{}, errors.New("channel_not_found")
	}
	if len(s.script) > 0 {
		d := s.script[0]
		s.script = s.script[1:]
		return d, errors.New("slack unavailable")
	}
	s.got = append(s.got, fmt.Sprintf("%s %s %s", n.Kind, n.DedupeKey, ref))
	return Delivery{Ref: "ts-" + n.DedupeKey}, nil
}

func TestDeliveryExactlyOnceThroughFailures(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := newMemStore()
	slack := &scripted{script: []Delivery{
		{Retry: true}, {Retry: true}, // a 5xx burst
		{Retry: true, RetryAfter: 30 * time.Second}, // a 429
		{Retry: true},
	}, fatal: map[string]bool{"bad": true}}
	for i := range 5 {
		store.enqueue("slack", Notification{Kind: KindFiring, DedupeKey: fmt.Sprintf("k%d", i)}, now)
	}
	store.enqueue("slack", Notification{Kind: KindResolved, DedupeKey: "k0"}, now)
	store.enqueue("slack", Notification{Kind: KindFiring, DedupeKey: "bad"}, now)
	store.enqueue("nowhere", Notification{Kind: KindFiring, DedupeKey: "x"}, now)

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	newDeliverer := func() *Deliverer {
		return NewDeliverer(DeliveryConfig{Now: clock, BaseBackoff: time.Second, MaxBackoff: 10 * time.Second},
			store, map[string]Notifier{"slack": slack}, log, prometheus.NewRegistry())
	}
	d := newDeliverer()
	for step := 0; step < 120; step++ {
		if step == 40 {
			d = newDeliverer() // a restart midway: the outbox carries on
		}
		if _, err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	want := []string{"firing k0 ", "resolved k0 ts-k0", "firing k1 ", "firing k2 ", "firing k3 ", "firing k4 "}
	got := append([]string(nil), slack.got...)
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %q\nwant      %q", got, want)
	}
	// The resolution followed its firing and edited it (it had the ref).
	iFire, iRes := -1, -1
	for i, g := range slack.got {
		switch g {
		case "firing k0 ":
			iFire = i
		case "resolved k0 ts-k0":
			iRes = i
		}
	}
	if iFire < 0 || iRes < iFire {
		t.Fatalf("order %q", slack.got)
	}
	for _, r := range store.rows {
		switch r.Notification.DedupeKey {
		case "bad", "x":
			if !r.abandoned {
				t.Errorf("%s not abandoned", r.Notification.DedupeKey)
			}
		default:
			if !r.sent {
				t.Errorf("%+v not sent", r.Outgoing)
			}
		}
	}
}

func TestRetryAfterHoldsTheWholeReceiver(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	store := newMemStore()
	slack := &scripted{script: []Delivery{{Retry: true, RetryAfter: time.Minute}}}
	other := &scripted{}
	for i := range 3 {
		store.enqueue("slack", Notification{Kind: KindFiring, DedupeKey: fmt.Sprintf("s%d", i)}, now)
		store.enqueue("datadog", Notification{Kind: KindFiring, DedupeKey: fmt.Sprintf("d%d", i)}, now)
	}
	d := NewDeliverer(DeliveryConfig{Now: func() time.Time { return now }}, store,
		map[string]Notifier{"slack": slack, "datadog": other}, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	d.RunOnce(context.Background())
	if slack.calls != 1 || len(other.got) != 3 {
		t.Fatalf("slack called %d times (want 1: the 429 holds the rest), datadog got %d (want 3)", slack.calls, len(other.got))
	}
	now = now.Add(59 * time.Second)
	d.RunOnce(context.Background())
	if slack.calls != 1 {
		t.Fatal("slack called before its Retry-After passed")
	}
	now = now.Add(2 * time.Second)
	d.RunOnce(context.Background())
	if len(slack.got) != 3 {
		t.Fatalf("after Retry-After: %d delivered", len(slack.got))
	}
}
