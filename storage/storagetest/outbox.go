package storagetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// outgoing returns the n-th firing notification about link slug for
// receiver, created at noon.
func outgoing(receiver, slug string, n int) alerting.Outgoing {
	return alerting.Outgoing{
		Receiver: receiver, CreatedAt: noon(),
		Notification: alerting.Notification{
			ID: fmt.Sprintf("%s-%s-%d", receiver, slug, n), DedupeKey: "link_down/link:" + slug,
			Kind: alerting.KindFiring, Rule: "link_down", Severity: alerting.SeverityCritical,
			Summary: slug + " is down", At: noon(),
		},
	}
}

// storedOutgoing is what a store returns for o: times in UTC to the
// millisecond, no labels as nil.
func storedOutgoing(o alerting.Outgoing) alerting.Outgoing {
	o.NotBefore, o.CreatedAt = ms(o.NotBefore), ms(o.CreatedAt)
	n := &o.Notification
	n.Since, n.At = ms(n.Since), ms(n.At)
	if len(n.Labels) == 0 {
		n.Labels = nil
	}
	return o
}

func due(t *testing.T, s Store, now time.Time, limit int) []alerting.Outgoing {
	t.Helper()
	out, err := s.Due(t.Context(), now, limit)
	if err != nil {
		t.Fatalf("Due(%v, %d): %v", now, limit, err)
	}
	return out
}

// dueIDs returns the notification IDs of what is due at now.
func dueIDs(t *testing.T, s Store, now time.Time) []string {
	t.Helper()
	ids := []string{}
	for _, o := range due(t, s, now, 0) {
		ids = append(ids, o.Notification.ID)
	}
	return ids
}

func enqueue(t *testing.T, s Store, fence int64, out ...alerting.Outgoing) []alerting.Outgoing {
	t.Helper()
	if err := s.SaveAlerts(t.Context(), fence, nil, out, nil); err != nil {
		t.Fatalf("SaveAlerts: %v", err)
	}
	return out
}

func testOutboxRoundTrip(t *testing.T, s Store) {
	fence := evaluator(t, s, "control-1")
	if got := due(t, s, end, 0); got == nil || len(got) != 0 {
		t.Errorf("Due of an empty outbox = %#v, want an empty, non-nil list", got)
	}
	full := outgoing("slack", "spring", 1)
	full.NotBefore = created().Add(time.Minute) // zone(), nanoseconds
	full.CreatedAt = created()
	full.Attempts, full.LastError = 2, "imported with its history"
	n := &full.Notification
	n.Since, n.At = created().Add(-time.Hour), created()
	n.Labels = map[string]string{"team": "growth"}
	n.RunbookURL, n.SilenceURL = "https://runbooks.example/link_down", "https://linkwatch.example/silences/new"
	n.Alerts = []alerting.Alert{{Link: "spring", ShortURL: "https://go.example/spring", Destination: "https://example.com/spring",
		Tags: []string{"spring-24"}, Regions: []string{"eu-west", "us-east"}, ErrorClass: "http_status", Error: "status 503",
		Value: "2 of 3 regions", Hops: []alerting.Hop{{URL: "https://go.example/spring", Status: 302}, {URL: "https://example.com/spring", Status: 503}}}}
	bare := alerting.Outgoing{Receiver: "webhook:ops"} // due at once, created now
	before := time.Now().Add(-time.Second)
	out := enqueue(t, s, fence, full, bare)
	if out[0].ID == 0 || out[1].ID <= out[0].ID {
		t.Fatalf("SaveAlerts assigned IDs %d and %d, want increasing IDs", out[0].ID, out[1].ID)
	}
	if c := out[1].CreatedAt; c.Before(before) || c.After(time.Now().Add(time.Second)) {
		t.Errorf("a notification without CreatedAt was created at %v, want now", c)
	}
	full.ID, bare.ID, bare.CreatedAt = out[0].ID, out[1].ID, out[1].CreatedAt
	want := []alerting.Outgoing{storedOutgoing(full), storedOutgoing(bare)}
	if got := due(t, s, end, 0); !reflect.DeepEqual(got, want) {
		t.Errorf("Due:\n got %+v\nwant %+v", got, want)
	}
	// NotBefore is inclusive; zero is due whatever the worker's clock says.
	if got := due(t, s, full.NotBefore, 0); len(got) != 2 {
		t.Errorf("Due at NotBefore: %d notifications, want 2", len(got))
	}
	if got := due(t, s, beginning, 0); !reflect.DeepEqual(got, want[1:]) {
		t.Errorf("Due long before NotBefore:\n got %+v\nwant %+v", got, want[1:])
	}
	if got := due(t, s, end, 1); !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("Due with limit 1:\n got %+v\nwant %+v", got, want[:1])
	}
}

// testOutboxLifecycle: Sent, Retry and Abandon, their errors, and refs.
func testOutboxLifecycle(t *testing.T, s Store) {
	fence := evaluator(t, s, "control-1")
	out := enqueue(t, s, fence, outgoing("slack", "a", 1), outgoing("slack", "b", 1), outgoing("webhook:ops", "a", 1),
		outgoing("slack", "c", 1))
	sent, retried, abandoned, unref := out[0], out[1], out[2], out[3]
	ctx := t.Context()
	key := sent.Notification.DedupeKey

	if ref, err := s.Ref(ctx, key, "slack"); ref != "" || err != nil {
		t.Errorf("Ref before delivery = %q, %v; want none", ref, err)
	}
	for range 2 { // Sent is idempotent
		if err := s.Sent(ctx, sent.ID, "C024BE91L/1710072000.000100", noon()); err != nil {
			t.Fatalf("Sent: %v", err)
		}
	}
	if err := s.Retry(ctx, retried.ID, noon().Add(time.Minute), "status 503"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if err := s.Retry(ctx, retried.ID, noon().Add(3*time.Minute), "status 502"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if err := s.Abandon(ctx, abandoned.ID, "status 404: no such webhook"); err != nil {
		t.Fatalf("Abandon: %v", err)
	}
	if err := s.Sent(ctx, unref.ID, "", noon()); err != nil {
		t.Fatalf("Sent without a ref: %v", err)
	}
	if got := dueIDs(t, s, noon().Add(3*time.Minute-time.Millisecond)); len(got) != 0 {
		t.Errorf("due before the retry time: %v, want nothing", got)
	}
	got := due(t, s, noon().Add(3*time.Minute), 0)
	want := retried
	want.NotBefore, want.Attempts, want.LastError = noon().Add(3*time.Minute), 2, "status 502"
	if !reflect.DeepEqual(got, []alerting.Outgoing{storedOutgoing(want)}) {
		t.Errorf("Due after two retries:\n got %+v\nwant %+v", got, []alerting.Outgoing{storedOutgoing(want)})
	}

	// A sent or abandoned notification stays so, whatever comes late.
	if err := s.Retry(ctx, sent.ID, noon(), "late"); err != nil {
		t.Errorf("Retry of a sent notification: %v", err)
	}
	if err := s.Abandon(ctx, sent.ID, "late"); err != nil {
		t.Errorf("Abandon of a sent notification: %v", err)
	}
	if err := s.DelayReceiver(ctx, "slack", beginning); err != nil {
		t.Errorf("DelayReceiver into the past: %v", err)
	}
	if got := dueIDs(t, s, end); !reflect.DeepEqual(got, []string{retried.Notification.ID}) {
		t.Errorf("due at the end: %v, want only the retried notification", got)
	}

	for name, err := range map[string]error{
		"Sent":    s.Sent(ctx, 999999, "ref", noon()),
		"Retry":   s.Retry(ctx, 999999, noon(), "x"),
		"Abandon": s.Abandon(ctx, 999999, "x"),
	} {
		wantCode(t, name+" of an unknown notification", err, linkwatch.ENOTFOUND)
	}

	// Refs are per dedupe key and receiver; the last delivery's wins; a
	// delivery without a ref keeps the previous one.
	if err := s.Sent(ctx, retried.ID, "C024BE91L/1710072999.000200", noon().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	next := enqueue(t, s, fence, outgoing("slack", "a", 2), outgoing("slack", "a", 3))
	if err := s.Sent(ctx, next[0].ID, "C024BE91L/1710079999.000300", noon().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Sent(ctx, next[1].ID, "", noon().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ key, receiver, want string }{
		{key, "slack", "C024BE91L/1710079999.000300"},
		{key, "webhook:ops", ""}, // abandoned
		{retried.Notification.DedupeKey, "slack", "C024BE91L/1710072999.000200"},
		{unref.Notification.DedupeKey, "slack", ""},
		{"unknown", "slack", ""},
	} {
		if ref, err := s.Ref(ctx, tt.key, tt.receiver); ref != tt.want || err != nil {
			t.Errorf("Ref(%q, %q) = %q, %v; want %q", tt.key, tt.receiver, ref, err, tt.want)
		}
	}
}

// testOutboxDelayReceiver: a 429's Retry-After holds every pending
// notification of that receiver, and only those, and never brings one
// forward.
func testOutboxDelayReceiver(t *testing.T, s Store) {
	fence := evaluator(t, s, "control-1")
	later := outgoing("slack", "later", 1)
	later.NotBefore = noon().Add(time.Hour)
	out := enqueue(t, s, fence, outgoing("slack", "a", 1), outgoing("webhook:ops", "a", 1), later, outgoing("slack", "b", 1))
	if err := s.Sent(t.Context(), out[3].ID, "ref", noon()); err != nil {
		t.Fatal(err)
	}
	until := noon().Add(30 * time.Minute)
	if err := s.DelayReceiver(t.Context(), "slack", until); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, s, until.Add(-time.Millisecond)); !reflect.DeepEqual(got, []string{"webhook:ops-a-1"}) {
		t.Errorf("due while slack is held: %v, want only the webhook's", got)
	}
	if got := dueIDs(t, s, until); !reflect.DeepEqual(got, []string{"slack-a-1", "webhook:ops-a-1"}) {
		t.Errorf("due when the hold ends: %v", got)
	}
	if got := dueIDs(t, s, later.NotBefore); len(got) != 3 {
		t.Errorf("due at the later notification's time: %v, want 3", got)
	}
	if err := s.DelayReceiver(t.Context(), "nobody", end); err != nil {
		t.Errorf("DelayReceiver of a receiver without notifications: %v", err)
	}
}

// testOutboxExactlyOnce: notifications enqueued over several evaluations are
// delivered exactly once by a worker (Due, then Sent or Retry) that crashes
// half-way and starts again on a fresh handle, while one receiver is held by
// a Retry-After and one notification is abandoned.
func testOutboxExactlyOnce(t *testing.T, s Store, reopen func() Store) {
	const evaluations, perEvaluation = 3, 10
	fence := evaluator(t, s, "control-1")
	var all []alerting.Outgoing
	for e := range evaluations {
		var out []alerting.Outgoing
		for i := range perEvaluation {
			receiver := []string{"slack", "webhook:ops"}[i%2]
			out = append(out, outgoing(receiver, fmt.Sprint("link", i/2), e*perEvaluation+i))
		}
		alert := firing(fmt.Sprint("link", e))
		if err := s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{alert}, out, nil); err != nil {
			t.Fatalf("SaveAlerts: %v", err)
		}
		all = append(all, out...)
	}
	abandoned := all[7].Notification.ID
	delivered := map[string]int{}
	receivedBy := map[string]int{}
	// work delivers what is due at now through st, three at a time, and
	// stops when nothing is due or after budget deliveries (a crash). A
	// notification whose ID is a multiple of 3 fails once with a 503.
	work := func(st Store, now time.Time, budget int) {
		for n := 0; ; {
			batch := due(t, st, now, 3)
			if len(batch) == 0 {
				return
			}
			for _, o := range batch {
				if n == budget {
					return
				}
				var err error
				switch id := o.Notification.ID; {
				case id == abandoned:
					err = st.Abandon(t.Context(), o.ID, "status 404")
				case o.Attempts == 0 && o.ID%3 == 0:
					err = st.Retry(t.Context(), o.ID, now.Add(time.Minute), "status 503")
				default:
					delivered[id]++
					receivedBy[o.Receiver]++
					n++
					err = st.Sent(t.Context(), o.ID, "ref-"+id, now)
				}
				if err != nil {
					t.Fatalf("worker: %v", err)
				}
			}
		}
	}
	work(s, noon(), 8)
	if len(delivered) != 8 {
		t.Fatalf("the first worker delivered %d notifications before its crash, want 8", len(delivered))
	}

	// After the restart, Slack answers a 429: only its notifications wait.
	restarted := reopen()
	if err := restarted.DelayReceiver(t.Context(), "slack", noon().Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	slack, webhook := receivedBy["slack"], receivedBy["webhook:ops"]
	work(restarted, noon().Add(2*time.Minute), -1)
	if receivedBy["slack"] != slack || receivedBy["webhook:ops"] == webhook {
		t.Errorf("while slack was held: %d slack and %d webhook deliveries, want 0 and more than 0",
			receivedBy["slack"]-slack, receivedBy["webhook:ops"]-webhook)
	}
	work(restarted, noon().Add(10*time.Minute), -1)
	work(restarted, noon().Add(time.Hour), -1) // the retries of held notifications

	for _, o := range all {
		id, want := o.Notification.ID, 1
		if id == abandoned {
			want = 0
		}
		if delivered[id] != want {
			t.Errorf("notification %s delivered %d times, want %d", id, delivered[id], want)
		}
	}
	for i, st := range []Store{s, restarted} {
		if got := dueIDs(t, st, end); len(got) != 0 {
			t.Errorf("handle %d: still due after delivery: %v", i, got)
		}
	}
	last := all[len(all)-2] // slack's last about link4
	if ref, err := restarted.Ref(t.Context(), last.Notification.DedupeKey, "slack"); err != nil || ref == "" {
		t.Errorf("Ref after delivery = %q, %v; want a ref", ref, err)
	}
	if got := len(alerts(t, restarted)); got != evaluations {
		t.Errorf("%d alerts stored, want %d", got, evaluations)
	}
}
