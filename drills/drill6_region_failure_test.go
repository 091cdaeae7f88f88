package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDrill6RegionFailure: three remote probers (eu-west, us-east,
// ap-south); every destination — the links' and their fallbacks' — fails
// for ap-south alone (its network is broken, the sites are not). Linkwatch
// must raise a regional_degradation warning and nothing more: no page (no
// critical alert fires), no failover (a lone region never moves traffic),
// and the status page at most degraded, over a failure long enough for
// several failing checks of every link from the broken region (full: 2
// minutes), with the status page polled throughout. When the region
// recovers, the warning resolves.
func TestDrill6RegionFailure(t *testing.T) {
	r := newReport(t, "6. region failure")
	db := newDatabase(t)
	token := newToken()
	interval := scaled(10*time.Second, 2*time.Second)
	hold := scaled(2*time.Minute, 0)          // the failure lasts at least this long
	const failing, minFailing = "ap-south", 3 // and at least this many failing checks per link from it
	regions := []string{"eu-west", "us-east", failing}
	const rebuild = 500 * time.Millisecond // the status page's

	var regionDown atomic.Bool
	site := func(body string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if regionDown.Load() && strings.Contains(r.UserAgent(), "region="+failing) {
				http.Error(w, "unreachable from "+failing, http.StatusBadGateway)
				return
			}
			io.WriteString(w, body)
		}))
		t.Cleanup(s.Close)
		return s
	}
	dest, fallback := site("the spring sale"), site("the sale continues here")

	links := []string{"d6-a", "d6-b"}
	cfgPath := filepath.Join(t.TempDir(), "linkwatch.yaml")
	var cfg strings.Builder
	cfg.WriteString("status_title: Drill status\nstatus_components:\n")
	for i, s := range links {
		fmt.Fprintf(&cfg, "  - {id: c-%s, name: %q, link: %s, position: %d}\n", s, "Campaign "+s, s, i+1)
	}
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	redirAddr := freeAddr(t)
	ctl := startProc(t, "control", map[string]string{
		"LINKWATCH_DB": db.dsn, "LINKWATCH_ADMIN_TOKEN": token, "LINKWATCH_PUBLIC_URL": "http://" + redirAddr,
		"LINKWATCH_CONFIG": cfgPath, "LINKWATCH_STATUS_REBUILD_INTERVAL": rebuild.String(),
		"LINKWATCH_ALERT_EVALUATION_INTERVAL": "200ms", "LINKWATCH_ALERT_DELIVERY_INTERVAL": "200ms",
	}, "control")
	startProc(t, "redirector", map[string]string{"LINKWATCH_DB": db.dsn, "LINKWATCH_ADDR": redirAddr}, "redirector")
	api := newAPI(ctl.URL(), token)
	for _, s := range links {
		api.createLink(t, map[string]any{"slug": s, "destination": dest.URL + "/" + s, "fallback_url": fallback.URL + "/" + s,
			"check_interval": interval.String(), "redirect_code": 302})
	}
	for _, region := range regions {
		var tok struct {
			Token string `json:"token"`
		}
		if st := api.do(t, http.MethodPost, "/tokens", map[string]any{"name": "drill " + region, "scopes": []string{"prober"},
			"regions": []string{region}}, &tok); st != http.StatusCreated {
			t.Fatalf("create prober token for %s: %d", region, st)
		}
		startProc(t, "prober-"+region, map[string]string{"LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_CONFIRM": "1s"},
			"prober", "--region", region, "--control", ctl.URL(), "--token", tok.Token, "--spool", t.TempDir())
	}

	conn := db.conn(t)
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	type healthView struct {
		State    string `json:"state"`
		Failover struct {
			Active bool `json:"active"`
		} `json:"failover"`
	}
	health := func(slug string) (h healthView) {
		api.do(t, http.MethodGet, "/links/"+slug+"/health", nil, &h)
		return h
	}
	waitFor(t, 90*time.Second, "every link up, checked with its fallback from all three regions", func() bool {
		for _, s := range links {
			if health(s).State != "up" {
				return false
			}
		}
		return count(`SELECT count(DISTINCT (region, target_kind)) FROM results`) == 2*len(regions)
	})

	// Watch the status page and the failover state for the whole failure.
	w := &regionWatch{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			// api.try, not health: t may fail only from the test's goroutine.
			w.observe(ctl.URL(), links, func(slug string) bool {
				var h healthView
				st, raw, err := api.try(http.MethodGet, "/links/"+slug+"/health", nil)
				return err == nil && st == http.StatusOK && json.Unmarshal(raw, &h) == nil && h.Failover.Active
			})
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	})
	stopWatch := func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}
	t.Cleanup(stopWatch)

	broke := time.Now()
	regionDown.Store(true)
	firing := `SELECT count(*) FROM alert_events WHERE rule = 'regional_degradation' AND to_phase = 'firing'`
	waitFor(t, 90*time.Second, "a regional_degradation warning", func() bool { return count(firing) > 0 })
	warned := time.Since(broke)
	// The failure goes on until every link has minFailing failing checks
	// from the broken region after the warning, the hold is over, and the
	// status page has been rebuilt since (its updated_at): whatever would
	// page, fail over or turn the page red has had its chance.
	since := time.Now()
	waitFor(t, hold+2*time.Minute, fmt.Sprintf("%d failing checks of every link from %s", minFailing, failing), func() bool {
		for _, s := range links {
			if count(`SELECT count(*) FROM results r JOIN links l ON l.id = r.target_id WHERE r.target_kind = 'link'
				AND l.slug = $1 AND r.region = $2 AND r.class <> '' AND r.at > $3`, s, failing, since) < minFailing {
				return false
			}
		}
		return time.Since(broke) >= hold
	})
	// The page is rebuilt every rebuild interval: a poll two intervals after
	// the failing checks sees a page built from them.
	checked := time.Now().Add(2 * rebuild)
	waitFor(t, 60*time.Second, "a poll of the status page built after the failing checks", func() bool { return w.polledAfter(checked) })
	lasted := time.Since(broke)
	stopWatch()

	var warnings, pages, downs, failovers int
	err := conn.QueryRow(context.Background(), `SELECT
		count(*) FILTER (WHERE rule = 'regional_degradation' AND severity = 'warning'),
		count(*) FILTER (WHERE severity = 'critical'),
		count(*) FILTER (WHERE rule = 'link_down'),
		count(*) FILTER (WHERE rule = 'link_failover')
		FROM alert_events WHERE to_phase = 'firing' AND at >= $1`, broke).Scan(&warnings, &pages, &downs, &failovers)
	if err != nil {
		t.Fatal(err)
	}
	r.row(fmt.Sprintf("every destination fails from %s only → regional_degradation warning", failing),
		fmt.Sprintf("%d fired, the first %s after the failure began", warnings, ms(warned)), warnings > 0)
	r.row(fmt.Sprintf("pages (critical alerts firing) over %s of failure", lasted.Round(time.Second)),
		fmt.Sprintf("%d (link_down: %d)", pages, downs), pages == 0 && downs == 0)
	var active []string
	for _, s := range links {
		if health(s).Failover.Active {
			active = append(active, s)
		}
	}
	w.mu.Lock()
	seenFailover, worst, polls, worstIndicator := w.failover, w.worst, w.polls, w.indicator
	w.mu.Unlock()
	r.row("failovers (link_failover fired, or a link failed over at any poll)",
		fmt.Sprintf("%d fired; seen failed over: %s; now: %s", failovers, none(seenFailover), none(active)),
		failovers == 0 && len(seenFailover) == 0 && len(active) == 0)
	r.row("the status page's worst component status during the failure (at most degraded_performance)",
		fmt.Sprintf("%s (page indicator at worst %q; %d polls)", worst, worstIndicator, polls),
		polls > 0 && statusRank[worst] <= statusRank["degraded_performance"])

	regionDown.Store(false)
	fixed := time.Now()
	waitFor(t, 90*time.Second, "the regional_degradation warning to resolve", func() bool {
		return count(`SELECT count(*) FROM alert_events WHERE rule = 'regional_degradation' AND to_phase = 'resolved' AND at >= $1`, fixed) > 0
	})
	r.info(fmt.Sprintf("%s recovers → the warning resolves", failing), ms(time.Since(fixed)))
}

// statusRank orders Statuspage's component statuses, worst last.
var statusRank = map[string]int{"": 0, "operational": 1, "under_maintenance": 2, "degraded_performance": 3, "partial_outage": 4, "major_outage": 5}

var indicatorRank = map[string]int{"": 0, "none": 1, "maintenance": 2, "minor": 3, "major": 4, "critical": 5}

// regionWatch keeps the worst the status page and the links' failover
// state showed while it polled.
type regionWatch struct {
	mu        sync.Mutex
	polls     int
	worst     string    // component status
	indicator string    // page status indicator
	last      time.Time // of the last poll that read the page
	failover  []string
}

func (w *regionWatch) observe(base string, links []string, failedOver func(string) bool) {
	at := time.Now()
	var s struct {
		Status struct {
			Indicator string `json:"indicator"`
		} `json:"status"`
		Components []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"components"`
	}
	resp, err := http.Get(base + "/api/v2/summary.json")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&s) != nil {
		return
	}
	var over []string
	for _, l := range links {
		if failedOver(l) {
			over = append(over, l)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.polls++
	for _, c := range s.Components {
		if statusRank[c.Status] > statusRank[w.worst] {
			w.worst = c.Status
		}
	}
	if indicatorRank[s.Status.Indicator] > indicatorRank[w.indicator] {
		w.indicator = s.Status.Indicator
	}
	w.last = at
	for _, l := range over {
		if !strings.Contains(strings.Join(w.failover, ","), l) {
			w.failover = append(w.failover, l)
		}
	}
}

// polledAfter: a poll that began after t read the page.
func (w *regionWatch) polledAfter(t time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last.After(t)
}
