package drills

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDrill5ProberPartition: a remote prober reaches the control plane
// through a TCP proxy the drill cuts for the partition (2 minutes; short:
// seconds) while it checks three healthy links. It keeps checking and
// spools what it cannot push; once the network is back the spool is
// replayed: every result the prober made is in the database exactly once
// (counted by result ID against the prober's own count of checks, and by
// link and time, so a replay under new IDs would show), the spool is empty,
// and link_down never fired.
func TestDrill5ProberPartition(t *testing.T) {
	r := newReport(t, "5. prober partition")
	db := newDatabase(t)
	token := newToken()
	partition := scaled(2*time.Minute, 6*time.Second)
	interval := scaled(10*time.Second, 1*time.Second)

	dest := newSwitchDest()
	destSrv := httptest.NewServer(dest)
	t.Cleanup(destSrv.Close)

	redirAddr := freeAddr(t)
	ctl := startProc(t, "control", map[string]string{
		"LINKWATCH_DB": db.dsn, "LINKWATCH_ADMIN_TOKEN": token, "LINKWATCH_PUBLIC_URL": "http://" + redirAddr,
		"LINKWATCH_ALERT_EVALUATION_INTERVAL": "200ms",
	}, "control")
	startProc(t, "redirector", map[string]string{"LINKWATCH_DB": db.dsn, "LINKWATCH_ADDR": redirAddr}, "redirector")
	api := newAPI(ctl.URL(), token)
	var tok struct {
		Token string `json:"token"`
	}
	if st := api.do(t, http.MethodPost, "/tokens", map[string]any{"name": "drill prober", "scopes": []string{"prober"}, "regions": []string{"drill"}}, &tok); st != http.StatusCreated {
		t.Fatalf("create prober token: %d", st)
	}
	links := []string{"d5-a", "d5-b", "d5-c"}
	for _, s := range links {
		api.createLink(t, map[string]any{"slug": s, "destination": destSrv.URL + "/" + s, "check_interval": interval.String()})
	}

	// The prober reaches the control plane only through the proxy.
	proxy := newTCPProxy(t, ctl.addr)
	const proberID = "drill5-prober"
	spool := filepath.Join(t.TempDir(), "spool")
	pr := startProc(t, "prober", map[string]string{
		"LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_CONFIRM": "1s", "LINKWATCH_PROBE_REFRESH": "2s",
	}, "prober", "--region", "drill", "--id", proberID, "--control", "http://"+proxy.Addr(), "--token", tok.Token, "--spool", spool)

	conn := db.conn(t)
	// stored counts the prober's results in the database: rows, distinct
	// IDs, and distinct (link, time, step), which a result replayed under a
	// new ID would repeat.
	stored := func() (rows, ids, checks int) {
		err := conn.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT id), count(DISTINCT (target_kind, target_id, at, step))
			FROM results WHERE prober = $1`, proberID).Scan(&rows, &ids, &checks)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	made := func() float64 { return metricOf(t, pr.URL(), "linkwatch_probe_results_total") }
	health := func(slug string) string {
		var h struct {
			State string `json:"state"`
		}
		api.do(t, http.MethodGet, "/links/"+slug+"/health", nil, &h)
		return h.State
	}
	waitFor(t, 60*time.Second, "every link to be up", func() bool {
		for _, s := range links {
			if health(s) != "up" {
				return false
			}
		}
		return true
	})
	beforeRows, _, _ := stored()
	beforeMade := made()

	cut := time.Now()
	proxy.Cut()
	if err := sleepCtx(t.Context(), partition); err != nil {
		t.Fatal(err)
	}
	spooled := metricOf(t, pr.URL(), "linkwatch_prober_results_spooled_total")
	spoolBytes := metricOf(t, pr.URL(), "linkwatch_prober_spool_bytes")
	duringRows, _, _ := stored()
	duringMade := made()
	proxy.Restore()
	r.row(fmt.Sprintf("partition of %s: the prober kept checking and spooled", partition),
		fmt.Sprintf("%.0f checks made, %.0f results spooled (%.0f bytes), %d reached the database",
			duringMade-beforeMade, spooled, spoolBytes, duringRows-beforeRows),
		duringMade > beforeMade && spooled > 0 && spoolBytes > 0)

	// Back: the spool replays. Everything the prober made is stored once
	// when, between two reads of its count, the database holds exactly that
	// many results and the spool is empty (the failure bound is generous:
	// replay waits for the push loop's next tick and backoff).
	var rows, ids, checks int
	var total float64
	waitFor(t, 90*time.Second, "the spool to replay and every result to be stored", func() bool {
		m1 := made()
		rows, ids, checks = stored()
		m2 := made()
		total = m2
		return m1 == m2 && float64(rows) == m1 && metricOf(t, pr.URL(), "linkwatch_prober_spool_bytes") == 0
	})
	replayed := time.Since(cut) - partition
	dropped := metricOf(t, pr.URL(), "linkwatch_prober_results_dropped_total")
	files, _ := filepath.Glob(filepath.Join(spool, "*"))
	var left []string
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && !st.IsDir() && st.Size() > 0 {
			left = append(left, filepath.Base(f))
		}
	}
	r.row("results lost: the prober's checks − rows in the database",
		fmt.Sprintf("%.0f − %d = %.0f (%.0f dropped by the prober)", total, rows, total-float64(rows), dropped),
		float64(rows) == total && dropped == 0)
	r.row("results duplicated: rows − distinct result IDs; rows − distinct (link, time, step)",
		fmt.Sprintf("%d, %d", rows-ids, rows-checks), rows == ids && rows == checks)
	r.info("network back → spool replayed and every result stored", ms(replayed))
	r.row("spool files left with data after the replay", none(left), len(left) == 0)

	var linkDown, silent int
	err := conn.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE rule = 'link_down'), count(*) FILTER (WHERE rule = 'prober_silent')
		FROM alert_events WHERE to_phase = 'firing'`).Scan(&linkDown, &silent)
	if err != nil {
		t.Fatal(err)
	}
	var down []string
	for _, s := range links {
		if st := health(s); st != "up" {
			down = append(down, s+" "+st)
		}
	}
	r.row("false link_down during and after the partition", fmt.Sprintf("%d fired; links not up now: %s", linkDown, none(down)),
		linkDown == 0 && len(down) == 0)
	r.info("prober_silent (a warning after a minute without heartbeats)", fmt.Sprintf("fired %d times", silent))
	accepted, refused := proxy.Stats()
	r.info("connections through the proxy", fmt.Sprintf("%d forwarded, %d refused while cut", accepted, refused))
}
