package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestDrill4SlackOutage: Slack's incoming webhook answers 503, then 429
// with Retry-After, for the outage (2 minutes; short: seconds) while three
// links' alerts fire and resolve, one of them only after Slack is back.
// Afterwards every notification the engine queued for Slack was delivered
// exactly once (every message Slack accepted matches one outbox row, and
// each link's firing and resolution arrived once each), in order (each
// link's firing before its resolution; the order across alerts is
// reported), none given up.
func TestDrill4SlackOutage(t *testing.T) {
	r := newReport(t, "4. Slack outage")
	db := newDatabase(t)
	token := newToken()
	half := scaled(60*time.Second, 4*time.Second) // 503 for half the outage, then 429
	retryAfter := scaled(10, 2)                   // seconds, in the 429 answers
	interval := scaled(5*time.Second, 2*time.Second)

	slack := newDrillSlack()
	slackSrv := httptest.NewServer(slack)
	t.Cleanup(slackSrv.Close)
	dest := newSwitchDest()
	destSrv := httptest.NewServer(dest)
	t.Cleanup(destSrv.Close)

	addr := freeAddr(t)
	srv := startProc(t, "serve", map[string]string{
		"LINKWATCH_DB": db.dsn, "LINKWATCH_ADMIN_TOKEN": token, "LINKWATCH_ADDR": addr, "LINKWATCH_PUBLIC_URL": "http://" + addr,
		"LINKWATCH_REGION": "drill", "LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_CONFIRM": "1s",
		"LINKWATCH_ALERT_EVALUATION_INTERVAL": "200ms", "LINKWATCH_ALERT_DELIVERY_INTERVAL": "200ms",
		"LINKWATCH_SLACK_WEBHOOK_URL": slackSrv.URL + "/services/T0DRILL/B0DRILL/drill4",
	}, "serve")
	api := newAPI(srv.URL(), token)
	// One campaign per link, so each link is its own alert group and
	// message: a firing and a resolution each.
	links := []string{"d4-a", "d4-b", "d4-c"}
	for _, s := range links {
		api.createLink(t, map[string]any{"slug": s, "destination": destSrv.URL + "/" + s, "tags": []string{s},
			"check_interval": interval.String()})
	}
	state := func(slug string) string {
		var h struct {
			State string `json:"state"`
		}
		api.do(t, http.MethodGet, "/links/"+slug+"/health", nil, &h)
		return h.State
	}
	waitFor(t, 60*time.Second, "every link to be up", func() bool {
		for _, s := range links {
			if state(s) != "up" {
				return false
			}
		}
		return true
	})

	conn := db.conn(t)
	// queued waits until the engine has queued slug's notification of kind
	// (firing, resolved) for Slack: the alert fired or resolved.
	queued := func(slug, kind string) {
		t.Helper()
		waitFor(t, 90*time.Second, slug+" "+kind+" queued for Slack", func() bool {
			var n int
			err := conn.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE receiver = 'slack'
				AND notification->>'Rule' = 'link_down' AND notification->>'Kind' = $1 AND dedupe_key LIKE '%' || $2`, kind, slug).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n > 0
		})
	}

	outageStart := time.Now()
	slack.set(http.StatusServiceUnavailable, 0)
	dest.breakPath("d4-a")
	dest.breakPath("d4-b")
	queued("d4-a", "firing")
	queued("d4-b", "firing")
	dest.fix("d4-a")
	queued("d4-a", "resolved")
	if err := sleepCtx(t.Context(), time.Until(outageStart.Add(half))); err != nil {
		t.Fatal(err)
	}

	slack.set(http.StatusTooManyRequests, retryAfter)
	dest.breakPath("d4-c")
	queued("d4-c", "firing")
	dest.fix("d4-b")
	queued("d4-b", "resolved")
	if err := sleepCtx(t.Context(), time.Until(outageStart.Add(2*half))); err != nil {
		t.Fatal(err)
	}
	slack.set(http.StatusOK, 0)
	outage := time.Since(outageStart)
	dest.fix("d4-c")
	queued("d4-c", "resolved")

	// Everything queued for Slack is delivered or given up: a failure bound
	// of the longest backoff (5 minutes) and then some.
	pending := func() (pending, sent, abandoned int) {
		err := conn.QueryRow(context.Background(), `SELECT
			count(*) FILTER (WHERE sent_at IS NULL AND abandoned_at IS NULL),
			count(*) FILTER (WHERE sent_at IS NOT NULL),
			count(*) FILTER (WHERE abandoned_at IS NOT NULL)
			FROM outbox WHERE receiver = 'slack'`).Scan(&pending, &sent, &abandoned)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	waitFor(t, 7*time.Minute, "the Slack outbox to drain", func() bool { p, _, _ := pending(); return p == 0 })
	drained := time.Since(outageStart) - outage

	rows := outboxRows(t, conn)
	accepted, refused := slack.snapshot()
	r.info("Slack refused during the outage", fmt.Sprintf("%d × 503, %d × 429 (Retry-After %ds) over %s",
		refused[http.StatusServiceUnavailable], refused[http.StatusTooManyRequests], retryAfter, outage.Round(time.Second)))
	r.row("the outage was felt: Slack refused sends with 503 and with 429",
		fmt.Sprintf("%d and %d refused", refused[http.StatusServiceUnavailable], refused[http.StatusTooManyRequests]),
		refused[http.StatusServiceUnavailable] > 0 && refused[http.StatusTooManyRequests] > 0)

	// Exactly once: each link's firing and resolution arrived once, and
	// Slack accepted as many messages as the outbox marked sent, none given
	// up.
	_, sent, abandoned := pending()
	var missing, dup []string
	for _, s := range links {
		for _, state := range []string{"FIRING", "RESOLVED"} {
			switch n := countAbout(accepted, s, state); {
			case n == 0:
				missing = append(missing, s+" "+state)
			case n > 1:
				dup = append(dup, fmt.Sprintf("%s %s ×%d", s, state, n))
			}
		}
	}
	r.row(fmt.Sprintf("link_down firing and resolution of %d links, delivered to Slack", len(links)),
		fmt.Sprintf("missing %s, duplicated %s", none(missing), none(dup)), len(missing) == 0 && len(dup) == 0)
	r.row("messages Slack accepted = outbox rows sent; none given up",
		fmt.Sprintf("%d accepted, %d sent of %d queued, %d given up", len(accepted), sent, len(rows), abandoned),
		len(accepted) == sent && sent == len(rows) && abandoned == 0)

	// In order: per link, the firing came first; overall, Slack saw the
	// messages in the order the engine queued them (the outbox's ids).
	var perLink []string
	for _, s := range links {
		f, res := firstAbout(accepted, s, "FIRING"), firstAbout(accepted, s, "RESOLVED")
		if f < 0 || res < 0 || res < f {
			perLink = append(perLink, s)
		}
	}
	r.row("each link's firing before its resolution", "out of order: "+none(perLink), len(perLink) == 0)
	// Across alerts the deliverer promises no order (each notification backs
	// off on its own): reported, a gap when it differs.
	const across = "Slack's order across alerts = the order the engine queued them"
	if inversions := orderInversions(accepted, rows, links); inversions > 0 {
		r.gap(across, fmt.Sprintf("%d messages out of queue order: order is kept per alert only", inversions))
	} else {
		r.info(across, "0 messages out of queue order")
	}
	r.info("Slack back → every queued notification delivered", ms(drained))
}

// drillSlack is a Slack incoming webhook whose answer the drill sets: 200
// (accepted, kept), or 503 / 429 with Retry-After (refused, counted).
type drillSlack struct {
	mu         sync.Mutex
	status     int
	retryAfter int
	accepted   []slackMsg
	refused    map[int]int
}

// slackMsg is a message Slack accepted: FIRING or RESOLVED, and its text
// and blocks, where the link's slug and campaign appear.
type slackMsg struct {
	state string
	body  string
}

func newDrillSlack() *drillSlack {
	return &drillSlack{status: http.StatusOK, refused: map[int]int{}}
}

func (s *drillSlack) set(status, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.retryAfter = status, retryAfter
}

func (s *drillSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != http.StatusOK {
		s.refused[s.status]++
		if s.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(s.retryAfter))
		}
		http.Error(w, http.StatusText(s.status), s.status)
		return
	}
	var p struct {
		Text string `json:"text"`
	}
	json.Unmarshal(b, &p)
	m := slackMsg{body: string(b)}
	switch {
	case strings.HasPrefix(p.Text, "FIRING"):
		m.state = "FIRING"
	case strings.HasPrefix(p.Text, "RESOLVED"):
		m.state = "RESOLVED"
	}
	s.accepted = append(s.accepted, m)
	io.WriteString(w, "ok")
}

func (s *drillSlack) snapshot() ([]slackMsg, map[int]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	refused := make(map[int]int, len(s.refused))
	for k, v := range s.refused {
		refused[k] = v
	}
	return append([]slackMsg(nil), s.accepted...), refused
}

// about: the message is slug's (it names the link, or its campaign, which
// holds only it).
func (m slackMsg) about(slug string) bool {
	return strings.Contains(m.body, "`"+slug+"`") || strings.Contains(m.body, "campaign="+slug)
}

func countAbout(msgs []slackMsg, slug, state string) int {
	n := 0
	for _, m := range msgs {
		if m.state == state && m.about(slug) {
			n++
		}
	}
	return n
}

func firstAbout(msgs []slackMsg, slug, state string) int {
	for i, m := range msgs {
		if m.state == state && m.about(slug) {
			return i
		}
	}
	return -1
}

// outboxRow is one notification the engine queued for Slack.
type outboxRow struct {
	id        int64
	dedupeKey string
	kind      string
}

func outboxRows(t *testing.T, conn *pgx.Conn) []outboxRow {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT id, dedupe_key, notification->>'Kind' FROM outbox WHERE receiver = 'slack' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (outboxRow, error) {
		var o outboxRow
		return o, r.Scan(&o.id, &o.dedupeKey, &o.kind)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// orderInversions counts the link messages Slack accepted out of the
// outbox's order: for each accepted message about one of links, its queue
// position (the matching outbox row's rank) must grow.
func orderInversions(accepted []slackMsg, rows []outboxRow, links []string) int {
	rank := map[string]int{} // slug + state → position in the outbox
	for i, o := range rows {
		for _, s := range links {
			if strings.HasSuffix(o.dedupeKey, s) {
				state := "FIRING"
				if o.kind == "resolved" {
					state = "RESOLVED"
				}
				if _, seen := rank[s+state]; !seen {
					rank[s+state] = i
				}
			}
		}
	}
	inversions, last := 0, -1
	for _, m := range accepted {
		for _, s := range links {
			if p, ok := rank[s+m.state]; ok && m.about(s) {
				if p < last {
					inversions++
				}
				last = max(last, p)
			}
		}
	}
	return inversions
}

func none(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// switchDest is the links' destination: 200 on every path until the drill
// breaks one (503 for it), and after the drill fixes it again.
type switchDest struct {
	mu     sync.Mutex
	broken map[string]bool
	hits   atomic.Int64
}

func newSwitchDest() *switchDest { return &switchDest{broken: map[string]bool{}} }

func (d *switchDest) breakPath(slug string) { d.mu.Lock(); d.broken[slug] = true; d.mu.Unlock() }
func (d *switchDest) fix(slug string)       { d.mu.Lock(); delete(d.broken, slug); d.mu.Unlock() }

func (d *switchDest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.hits.Add(1)
	d.mu.Lock()
	broken := d.broken[strings.TrimPrefix(r.URL.Path, "/")]
	d.mu.Unlock()
	if broken {
		http.Error(w, "down for the drill", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "<!doctype html><title>Spring</title><p>the spring sale</p>")
}
