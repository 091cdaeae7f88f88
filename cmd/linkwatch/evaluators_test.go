package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/alerting/slack"
)

// This file and delivery_restart_test.go drive whole alerting stacks — real
// stores, engines, deliverers and the Slack notifier — against a fake Slack
// Web API on httptest, and check what reached Slack.

// e2eSlackMsg is one message the fake Slack accepted (posted or edited).
type e2eSlackMsg struct {
	Seq      int    // the request's number, from 1, failed requests included
	Method   string // chat.postMessage or chat.update
	Channel  string
	TS       string // the new message's ts, or the edited message's
	ThreadTS string // set for a thread reply
	Text     string
	Blocks   string // Block Kit JSON
}

// e2eSlack is Slack's Web API (chat.postMessage, chat.update) on httptest.
// A message is posted as soon as its request has arrived, as Slack does:
// a client that gives up waiting for the answer does not unpost it.
type e2eSlack struct {
	*httptest.Server
	latency time.Duration // before each answer

	mu       sync.Mutex
	seq      int
	failed   int
	msgs     []e2eSlackMsg
	answer   func(seq int) (status int, retryAfter string)        // a status ≠ 0 fails request seq
	accepted func(m e2eSlackMsg, r *http.Request, respond func()) // default: respond()
}

func newE2ESlack(t *testing.T) *e2eSlack {
	t.Helper()
	f := &e2eSlack{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// notifier returns a bot-mode Slack notifier for the fake.
func (f *e2eSlack) notifier(t *testing.T) *slack.Notifier {
	t.Helper()
	n, err := slack.New(slack.Config{Token: "xoxb-e2e-0000-test", Channel: "C0ALERTS", APIURL: f.URL + "/api/"})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *e2eSlack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	if f.latency > 0 {
		time.Sleep(f.latency)
	}
	f.mu.Lock()
	f.seq++
	seq, answer, accepted := f.seq, f.answer, f.accepted
	f.mu.Unlock()
	if answer != nil {
		if status, after := answer(seq); status != 0 {
			f.mu.Lock()
			f.failed++
			f.mu.Unlock()
			if after != "" {
				w.Header().Set("Retry-After", after)
			}
			http.Error(w, http.StatusText(status), status)
			return
		}
	}
	m := e2eSlackMsg{Seq: seq, Method: strings.TrimPrefix(r.URL.Path, "/api/"), Channel: form.Get("channel"),
		ThreadTS: form.Get("thread_ts"), Text: form.Get("text"), Blocks: form.Get("blocks")}
	switch m.Method {
	case "chat.postMessage":
		m.TS = fmt.Sprintf("1800000000.%06d", seq)
	case "chat.update":
		m.TS = form.Get("ts")
	default:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
		return
	}
	f.mu.Lock()
	f.msgs = append(f.msgs, m)
	f.mu.Unlock()
	respond := func() {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS})
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
	}
	if accepted != nil {
		accepted(m, r, respond)
		return
	}
	respond()
}

func (f *e2eSlack) messages() []e2eSlackMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]e2eSlackMsg(nil), f.msgs...)
}

var (
	e2eHeaderRE = regexp.MustCompile(`^(FIRING|RESOLVED): (\S+) \(`)
	// A link's alert is sent by its destination host's group (e2eLinks
	// gives each link a host of its own: <slug>.shop.example.com).
	e2eLinkRE = regexp.MustCompile(`(?:link|host)=([A-Za-z0-9_-]+)`)
)

// e2eSlackView is what a channel reader sees, per alert ("rule/slug"): F
// for each new firing message, R for each resolution (a RESOLVED reply in
// the firing's thread, or a new RESOLVED message when there was nothing to
// edit), P for each "still firing" reply, in the order Slack accepted them.
type e2eSlackView struct {
	Seqs     map[string]string
	Edits    map[string]int // chat.update of the alert's firing messages
	Problems []string       // messages that belong to nothing
}

func (f *e2eSlack) view() e2eSlackView {
	v := e2eSlackView{Seqs: map[string]string{}, Edits: map[string]int{}}
	byTS := map[string]string{} // ts of a firing message → its alert
	for _, m := range f.messages() {
		switch {
		case m.Method == "chat.update":
			a, ok := byTS[m.TS]
			if !ok || !strings.HasPrefix(m.Text, "RESOLVED: ") {
				v.Problems = append(v.Problems, fmt.Sprintf("request %d: chat.update of %s: %q", m.Seq, m.TS, m.Text))
				continue
			}
			v.Edits[a]++
		case m.ThreadTS != "":
			a, ok := byTS[m.ThreadTS]
			switch {
			case !ok:
				v.Problems = append(v.Problems, fmt.Sprintf("request %d: reply in the thread of unknown %s: %q", m.Seq, m.ThreadTS, m.Text))
			case strings.Contains(m.Text, "RESOLVED"):
				v.Seqs[a] += "R"
			case strings.Contains(m.Text, "Still firing"):
				v.Seqs[a] += "P"
			default:
				v.Problems = append(v.Problems, fmt.Sprintf("request %d: unexpected reply %q", m.Seq, m.Text))
			}
		default:
			h := e2eHeaderRE.FindStringSubmatch(m.Text)
			l := e2eLinkRE.FindStringSubmatch(m.Blocks)
			if h == nil || l == nil {
				v.Problems = append(v.Problems, fmt.Sprintf("request %d: unrecognised message %q", m.Seq, m.Text))
				continue
			}
			a := h[2] + "/" + l[1]
			if h[1] == "FIRING" {
				byTS[m.TS] = a
				v.Seqs[a] += "F"
			} else {
				v.Seqs[a] += "R"
			}
		}
	}
	return v
}

// check compares what Slack shows with want (alert → F/R sequence): every
// alert of want exactly so, and no other alert.
func (v e2eSlackView) check(t *testing.T, want map[string]string) {
	t.Helper()
	for _, p := range v.Problems {
		t.Errorf("Slack: %s", p)
	}
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range v.Seqs {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if got := v.Seqs[k]; got != want[k] {
			t.Errorf("Slack shows %s as %q, want %q (F: firing message, R: resolution)", k, got, want[k])
		}
	}
}

// e2eClock is a clock the test sets.
type e2eClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *e2eClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *e2eClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var e2eT0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func e2eLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var e2eRegions = []string{"ap-south", "eu-west", "us-east"}

// e2eLinks creates links without tags, each on a destination host of its
// own (a tagged link's alerts are grouped by campaign, an untagged one's by
// destination host), checked every minute: one link, one message.
func e2eLinks(t *testing.T, st store, slugs ...string) []*linkwatch.Link {
	t.Helper()
	var out []*linkwatch.Link
	for _, slug := range slugs {
		l := &linkwatch.Link{Slug: slug, Destination: "https://" + slug + ".shop.example.com/", RedirectCode: 302,
			CheckInterval: time.Minute, CreatedAt: e2eT0, UpdatedAt: e2eT0}
		if err := st.CreateLink(t.Context(), l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// e2eCheck stores round's check of l from every region at at; the regions
// failing says fail.
func e2eCheck(t *testing.T, st store, l *linkwatch.Link, round int, at time.Time, fail func(region string) bool) {
	t.Helper()
	var rs []linkwatch.Result
	for _, region := range e2eRegions {
		r := linkwatch.Result{ID: fmt.Sprintf("%s-%s-%d", l.Slug, region, round),
			Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}, Region: region, Prober: "prober-" + region,
			At: at, Step: linkwatch.StepDestination, Status: 200, FinalURL: l.Destination,
			Phases: linkwatch.Phases{Total: 40 * time.Millisecond}}
		if fail(region) {
			r.Class, r.Error, r.Status = linkwatch.ClassHTTPStatus, "final status 502", 502
		}
		rs = append(rs, r)
	}
	if err := st.InsertResults(t.Context(), rs); err != nil {
		t.Fatal(err)
	}
}

// e2eOutboxEmpty waits until st has no pending notification.
func e2eOutboxEmpty(t *testing.T, st store, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		due, err := st.Due(t.Context(), e2eT0.Add(100*365*24*time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notifications still pending after %s, e.g. %+v", len(due), within, due[0])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// leaseCounting counts the attempts to take or renew the delivery lease:
// one per delivery cycle of the deliverer using it.
type leaseCounting struct {
	store
	tries atomic.Int64
}

func (l *leaseCounting) Lease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (int64, bool, error) {
	if name == alerting.DeliveryLease {
		l.tries.Add(1)
	}
	return l.store.Lease(ctx, name, holder, ttl, now)
}

// e2ePausable is a store whose next SaveAlerts carrying notifications can be
// held before it starts, as a garbage-collection pause or a stalled
// connection would hold a leader between reading and writing.
type e2ePausable struct {
	store
	mu      sync.Mutex
	armed   bool
	paused  chan []alerting.Outgoing // receives what the held save carries
	release chan struct{}
}

func (p *e2ePausable) arm() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed, p.paused, p.release = true, make(chan []alerting.Outgoing, 1), make(chan struct{})
}

func (p *e2ePausable) SaveAlerts(ctx context.Context, fence int64, alerts []alerting.StoredAlert, out []alerting.Outgoing, failovers []alerting.LinkFailover) error {
	p.mu.Lock()
	hold := p.armed && len(out) > 0
	if hold {
		p.armed = false
	}
	paused, release := p.paused, p.release
	p.mu.Unlock()
	if hold {
		paused <- out
		<-release
	}
	return p.store.SaveAlerts(ctx, fence, alerts, out, failovers)
}

// TestTwoEvaluatorsNeverBothSend runs two complete alerting stacks — each
// its own PostgreSQL handle, engine (holders a and b) and deliverer — on one
// database, against one Slack. Links fail and recover across three regions;
// both engines evaluate concurrently every round while both deliverers run;
// leadership changes twice: a crashes (its lease runs out and b takes
// over), then b is paused between reading and writing while a takes over,
// and b's late write must be refused. Every firing and every resolution
// reaches Slack exactly once.
func TestTwoEvaluatorsNeverBothSend(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := t.Context()
	clock := &e2eClock{now: e2eT0}
	api := newE2ESlack(t)
	api.latency = 3 * time.Millisecond // widens the window between reading the outbox and marking sent

	open := func() *e2ePausable {
		st, err := openStore(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		return &e2ePausable{store: st}
	}
	sa, sb := open(), open()
	const ttl = 45 * time.Second // rounds are 20 s apart: a lease outlives two missed rounds
	newEngine := func(holder string, st alerting.EngineStore) *alerting.Engine {
		return alerting.NewEngine(alerting.EngineConfig{Holder: holder, Receivers: []string{"slack"}, LeaseTTL: ttl,
			Now: clock.Now}, st, e2eLog(), prometheus.NewRegistry())
	}
	ea, eb := newEngine("replica-a", sa), newEngine("replica-b", sb)

	dctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	// The deliverers run on the wall clock (the notifications' times are
	// earlier), under the replicas' names, as startAlerting runs them.
	for holder, st := range map[string]store{"replica-a": sa.store, "replica-b": sb.store} {
		d := alerting.NewDeliverer(alerting.DeliveryConfig{Holder: holder, Interval: 2 * time.Millisecond},
			st, map[string]alerting.Notifier{"slack": api.notifier(t)}, e2eLog(), prometheus.NewRegistry())
		wg.Go(func() { d.Run(dctx) })
	}
	stopDelivery := sync.OnceFunc(func() { stop(); wg.Wait() })
	t.Cleanup(stopDelivery) // before the stores close

	links := e2eLinks(t, sa, "e2e-a", "e2e-b", "e2e-c", "e2e-d")
	in := func(r, from, to int) bool { return r >= from && r < to }
	failing := func(slug string, r int, region string) bool {
		switch slug {
		case "e2e-a":
			return in(r, 2, 6) || in(r, 14, 18)
		case "e2e-b":
			return in(r, 8, 13) // fires while no one leads: sent by the next leader
		case "e2e-c":
			return in(r, 15, 20) // fires in b's held evaluation, then in a's
		case "e2e-d":
			return in(r, 22, 26) || region == "eu-west" && in(r, 4, 12) // a lone region warns first
		}
		return false
	}
	const rounds = 30
	lease := func() (holder string, fence int64) {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, "SELECT holder, fence FROM leases WHERE name = $1", alerting.EvaluatorLease).Scan(&holder, &fence); err != nil {
			t.Fatal(err)
		}
		return holder, fence
	}

	// evaluate runs each engine's Evaluate three times, the engines
	// concurrently.
	evaluate := func(r int, engines ...*alerting.Engine) {
		var ev sync.WaitGroup
		for _, e := range engines {
			ev.Go(func() {
				for range 3 {
					if err := e.Evaluate(ctx); err != nil {
						t.Errorf("round %d: Evaluate: %v", r, err)
					}
				}
			})
		}
		ev.Wait()
	}
	var heldErr chan error
	for r := range rounds {
		now := e2eT0.Add(time.Duration(r) * 20 * time.Second)
		clock.Set(now)
		writer := store(sa)
		if r%2 == 1 {
			writer = sb
		}
		for _, l := range links {
			e2eCheck(t, writer, l, r, now, func(region string) bool { return failing(l.Slug, r, region) })
		}
		switch {
		case r == 0:
			evaluate(r, ea) // a leads first
		case r < 8:
			evaluate(r, ea, eb)
		case r < 12: // a has crashed: b takes over once a's lease has run out
			evaluate(r, eb)
		case r < 16:
			evaluate(r, ea, eb) // a is back, and follows
		case r == 16:
			// b reads, decides to fire e2e-c, and stalls before writing.
			sb.arm()
			heldErr = make(chan error, 1)
			go func() { heldErr <- eb.Evaluate(ctx) }()
			select {
			case out := <-sb.paused:
				if len(out) != 1 || out[0].Notification.Rule != "link_down" || !strings.Contains(out[0].Notification.Summary, "e2e-c") {
					t.Errorf("b's held evaluation carries %+v, want e2e-c's link_down firing", out)
				}
			case err := <-heldErr:
				t.Fatalf("b's evaluation returned before writing: %v", err)
			}
			evaluate(r, ea)
		case r < 19:
			evaluate(r, ea) // b is still stalled; its lease runs
		case r == 19:
			evaluate(r, ea) // b's lease has run out: a takes over and fires e2e-c
			close(sb.release)
			if err := <-heldErr; linkwatch.ErrorCode(err) != linkwatch.ECONFLICT {
				t.Errorf("b's late write after a took over: %v, want a conflict (stale fence)", err)
			}
		default:
			evaluate(r, ea, eb)
		}
		switch r {
		case 7:
			if h, f := lease(); h != "replica-a" || f != 1 {
				t.Fatalf("after round 7 the lease is %s's (fence %d), want replica-a's (1)", h, f)
			}
		case 10:
			if h, f := lease(); h != "replica-b" || f != 2 {
				t.Fatalf("after round 10 the lease is %s's (fence %d), want replica-b's (2) after a's crash", h, f)
			}
		case 19:
			if h, f := lease(); h != "replica-a" || f != 3 {
				t.Fatalf("after round 19 the lease is %s's (fence %d), want replica-a's (3) after b stalled", h, f)
			}
		}
	}
	e2eOutboxEmpty(t, sa, 15*time.Second)
	stopDelivery() // a duplicate still in flight is recorded by the fake all the same

	want := map[string]string{
		"link_down/e2e-a":            "FRFR",
		"link_down/e2e-b":            "FR",
		"link_down/e2e-c":            "FR",
		"regional_degradation/e2e-d": "FR",
		"link_down/e2e-d":            "FR",
	}
	v := api.view()
	v.check(t, want)
	for a, seq := range v.Seqs {
		if n := strings.Count(seq, "R"); v.Edits[a] != n {
			t.Errorf("%s: %d firing messages edited to RESOLVED, want %d", a, v.Edits[a], n)
		}
	}
	if t.Failed() {
		for _, m := range api.messages() {
			t.Logf("Slack request %d: %s ts=%s thread=%s %q", m.Seq, m.Method, m.TS, m.ThreadTS, m.Text)
		}
	}
}

// TestSilenceExpirySendsStillFiringAlert: a link a silence matches goes
// down; its alert fires but is not sent. When the silence ends — expired
// early through the store, or run out — while the link still fails, the
// next evaluation sends the firing, once; the recovery sends the
// resolution, once. On SQLite and, when enabled, PostgreSQL.
func TestSilenceExpirySendsStillFiringAlert(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, how := range []string{"expired", "ran out"} {
			t.Run(engine+"/"+how, func(t *testing.T) {
				dsn := filepath.Join(t.TempDir(), "linkwatch.db")
				if engine == "postgres" {
					dsn = postgresDSN(t)
				}
				testSilenceExpiry(t, dsn, how == "expired")
			})
		}
	}
}

func testSilenceExpiry(t *testing.T, dsn string, expire bool) {
	ctx := t.Context()
	st, err := openStore(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := &e2eClock{now: e2eT0}
	api := newE2ESlack(t)
	links := e2eLinks(t, st, "promo", "other")
	promo := links[0]
	const step = 20 * time.Second
	// The silence runs out between rounds 4 and 5; expired, it ends at 5.
	end := e2eT0.Add(4*step + step/2)
	if expire {
		end = e2eT0.Add(time.Hour)
	}
	s := &alerting.Silence{ID: "s-billboard", Matchers: []alerting.Matcher{{Name: "link", Op: alerting.MatchEqual, Value: "promo"}},
		Start: e2eT0.Add(-time.Minute), End: end, Author: "ops", Comment: "billboard swap", CreatedAt: e2eT0}
	if err := st.CreateSilence(ctx, s); err != nil {
		t.Fatal(err)
	}
	engine := alerting.NewEngine(alerting.EngineConfig{Holder: "solo", Receivers: []string{"slack"}, Now: clock.Now},
		st, e2eLog(), prometheus.NewRegistry())
	deliverer := alerting.NewDeliverer(alerting.DeliveryConfig{Now: clock.Now}, st,
		map[string]alerting.Notifier{"slack": api.notifier(t)}, e2eLog(), prometheus.NewRegistry())

	down := func(r int) bool { return r >= 1 && r < 8 }
	wantAfter := func(r int) string {
		switch {
		case r < 5:
			return "" // silenced
		case r < 8:
			return "F" // sent when the silence ended, while it still fails
		}
		return "FR"
	}
	for r := range 11 {
		now := e2eT0.Add(time.Duration(r) * step)
		clock.Set(now)
		if r == 5 && expire {
			if err := st.ExpireSilence(ctx, s.ID, now); err != nil {
				t.Fatal(err)
			}
		}
		e2eCheck(t, st, promo, r, now, func(string) bool { return down(r) })
		e2eCheck(t, st, links[1], r, now, func(string) bool { return false })
		for range 2 {
			if err := engine.Evaluate(ctx); err != nil {
				t.Fatalf("round %d: %v", r, err)
			}
			if _, err := deliverer.RunOnce(ctx); err != nil {
				t.Fatalf("round %d: %v", r, err)
			}
		}
		v := api.view()
		if got := v.Seqs["link_down/promo"]; got != wantAfter(r) || len(v.Seqs) > 1 || len(v.Problems) > 0 {
			t.Fatalf("after round %d Slack shows %v (problems %v), want link_down/promo %q only", r, v.Seqs, v.Problems, wantAfter(r))
		}
		if r == 3 {
			alerts, err := st.Alerts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The link's alert fires; its group, which notifies, waits for
			// the silence to end (a muted member does not join it).
			var firing, grouped bool
			for _, a := range alerts {
				switch {
				case a.Key == fmt.Sprintf("link_down|link/%d", promo.ID):
					firing = a.State.Phase == alerting.PhaseFiring
				case strings.HasPrefix(a.Key, "link_down|host/"):
					grouped = grouped || a.State.Phase == alerting.PhaseFiring
				}
			}
			if !firing || grouped {
				t.Fatalf("during the silence the alerts are %+v, want the link's firing and no group firing", alerts)
			}
		}
	}
	if v := api.view(); v.Edits["link_down/promo"] != 1 {
		t.Errorf("the firing message was edited %d times, want once (to RESOLVED)", v.Edits["link_down/promo"])
	}
}

// TestSlowSlackAnswerIsNotSentTwice: two replicas deliver from one
// PostgreSQL outbox, each under its name as startAlerting runs them (the
// delivery lease's default term). Slack takes 20 s to answer replica a's
// first request — slow, but within the notifier's 30 s timeout, so a is
// still legitimately waiting for the answer. Replica b must not send that
// notification again meanwhile: Slack cannot tell a resend from a new
// message.
func TestSlowSlackAnswerIsNotSentTwice(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := t.Context()
	clock := &e2eClock{now: e2eT0}
	api := newE2ESlack(t)
	inFlight, release := make(chan struct{}), make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOnce) // before the fake closes, which waits for its handlers
	var first sync.Once
	api.accepted = func(m e2eSlackMsg, r *http.Request, respond func()) {
		held := false
		first.Do(func() { held = true })
		if held {
			close(inFlight)
			<-release
		}
		respond()
	}
	open := func() store {
		st, err := openStore(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		return st
	}
	sa, sb := open(), open()
	links := e2eLinks(t, sa, "slow-a", "slow-b", "slow-c")
	engine := alerting.NewEngine(alerting.EngineConfig{Holder: "replica-a", Receivers: []string{"slack"}, Now: clock.Now},
		sa, e2eLog(), prometheus.NewRegistry())
	for r := range 2 {
		now := e2eT0.Add(time.Duration(r) * 20 * time.Second)
		clock.Set(now)
		for _, l := range links {
			e2eCheck(t, sa, l, r, now, func(string) bool { return true })
		}
		if err := engine.Evaluate(ctx); err != nil {
			t.Fatal(err)
		}
	}

	var wg sync.WaitGroup
	dctx, stop := context.WithCancel(context.Background())
	stopDelivery := sync.OnceFunc(func() { stop(); releaseOnce(); wg.Wait() })
	t.Cleanup(stopDelivery) // before the stores close
	deliver := func(holder string, st store) {
		d := alerting.NewDeliverer(alerting.DeliveryConfig{Holder: holder, Interval: time.Millisecond, Now: clock.Now}, st,
			map[string]alerting.Notifier{"slack": api.notifier(t)}, e2eLog(), prometheus.NewRegistry())
		wg.Go(func() { d.Run(dctx) })
	}
	deliver("replica-a", sa)
	select {
	case <-inFlight:
	case <-time.After(10 * time.Second):
		t.Fatal("replica a sent nothing")
	}
	b := &leaseCounting{store: sb}
	deliver("replica-b", b)
	clock.Set(clock.Now().Add(20 * time.Second)) // Slack has been answering for 20 s
	// Fifty delivery cycles of b at that time: each asks for the lease, and
	// would send the notification again had it got it.
	tried := b.tries.Load()
	waitUntil(t, 10*time.Second, func() bool { return b.tries.Load() >= tried+50 })
	releaseOnce()
	e2eOutboxEmpty(t, sa, 15*time.Second)
	stopDelivery()
	api.view().check(t, map[string]string{"link_down/slow-a": "F", "link_down/slow-b": "F", "link_down/slow-c": "F"})
	if t.Failed() {
		for _, m := range api.messages() {
			t.Logf("Slack request %d: %s ts=%s %q", m.Seq, m.Method, m.TS, m.Text)
		}
	}
}
