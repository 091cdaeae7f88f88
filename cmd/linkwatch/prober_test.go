package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/storage/sqlite"
	"github.com/prometheus/client_golang/prometheus"
)

// destination is a landing page that counts the checks of each region.
type destination struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int // "<path> <region>" → requests
}

func newDestination(t *testing.T) *destination {
	d := &destination{hits: map[string]int{}}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region := "?"
		if _, after, ok := strings.Cut(r.UserAgent(), "region="); ok {
			region = strings.TrimSuffix(after, ")")
		}
		d.mu.Lock()
		d.hits[r.URL.Path+" "+region]++
		d.mu.Unlock()
		io.WriteString(w, "<html>spring sale</html>")
	}))
	t.Cleanup(d.Close)
	return d
}

func (d *destination) count(path, region string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hits[path+" "+region]
}

// freeAddr reserves a loopback port for a server that must restart on it.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startAt runs a server on a fixed address (startServer picks :0).
func startAt(t *testing.T, env map[string]string, addr string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{url: "http://" + addr, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append(args, "--addr", addr), func(k string) string { return env[k] }, s.stdout, s.stderr)
	}()
	var stopped bool
	var stopErr error
	s.stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			stopErr = <-done
		}
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	waitUntil(t, 20*time.Second, func() bool { return s.status("/healthz") == 200 })
	return s
}

func (s *server) apiJSON(t *testing.T, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
}

// startProber runs `linkwatch prober` in-process against control; an empty
// id leaves the default (region/hostname).
func startProber(t *testing.T, control, token, region, id, spool string) func() error {
	args := []string{"prober", "--region", region, "--control", control, "--token", token,
		"--spool", spool, "--addr", "127.0.0.1:0", "--probe-allow-private", "true", "--probe-refresh", "200ms",
		"--log-level", "error"}
	if id != "" {
		args = append(args, "--id", id)
	}
	return runInBackground(t, args, nil)
}

// runInBackground runs `linkwatch <args>` in-process with env until the
// returned stop (or the test's end) cancels it and waits for it.
func runInBackground(t *testing.T, args []string, env map[string]string) func() error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out syncBuffer
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, &out, &out) }()
	var stopped bool
	var err error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func spoolFiles(dir string) int {
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			n++
		}
	}
	return n
}

// TestRemoteProberSurvivesControlPlaneOutage: a remote prober keeps checking
// while the control plane is down, spools its results, and replays them
// when it returns — every check's result stored exactly once.
func TestRemoteProberSurvivesControlPlaneOutage(t *testing.T) {
	dest := newDestination(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "control.db")
	addr := freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": db, "LINKWATCH_ADMIN_TOKEN": testAdminToken, "LINKWATCH_REGION": "local",
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_PROBE_ALLOW_PRIVATE": "true"}
	control := startAt(t, env, addr, "control")

	var tok struct{ Token string }
	control.apiJSON(t, "POST", "/api/v1/tokens", `{"name":"eu prober","scopes":["prober"],"regions":["eu-west"]}`, &tok)
	var mon struct{ ID int64 }
	control.apiJSON(t, "POST", "/api/v1/monitors", fmt.Sprintf(`{"name":"landing","url":%q,"check_interval":"1s"}`, dest.URL+"/landing"), &mon)

	spool := filepath.Join(dir, "spool")
	stopProber := startProber(t, control.url, tok.Token, "eu-west", "eu-1", spool)
	health := func() (h struct {
		Regions []struct{ Region, State string }
	}) {
		control.apiJSON(t, "GET", fmt.Sprintf("/api/v1/monitors/%d/health", mon.ID), "", &h)
		return h
	}
	waitUntil(t, 20*time.Second, func() bool { h := health(); return len(h.Regions) == 1 && h.Regions[0].State == "up" })

	if err := control.stop(); err != nil {
		t.Fatal(err)
	}
	before := dest.count("/landing", "eu-west")
	waitUntil(t, 20*time.Second, func() bool { return spoolFiles(spool) >= 2 })
	if dest.count("/landing", "eu-west") <= before {
		t.Fatal("the prober stopped checking while the control plane was down")
	}

	control = startAt(t, env, addr, "control")
	waitUntil(t, 20*time.Second, func() bool { return spoolFiles(spool) == 0 })
	if err := stopProber(); err != nil {
		t.Fatal(err)
	}
	checks := dest.count("/landing", "eu-west")

	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := func() int {
		results, err := st.Results(context.Background(), linkwatch.Target{Kind: linkwatch.KindMonitor, ID: mon.ID}, time.Unix(0, 0), time.Now().Add(time.Hour), 100000)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, r := range results {
			if r.Region == "eu-west" {
				ids[r.ID] = true
			}
		}
		return len(ids)
	}
	// The last push, made as the prober stopped, may still be on its way
	// into the database: wait for every check, then see that no more come.
	waitUntil(t, 20*time.Second, func() bool { return stored() >= checks })
	control.stop()
	if n := stored(); n != checks {
		t.Fatalf("%d results stored for %d checks made: lost or duplicated", n, checks)
	}
	t.Logf("%d checks, all stored once, through an outage of the control plane", checks)
}

// TestProbersShareARegion: two probers in one region split the checks, each
// check made by one of them.
func TestProbersShareARegion(t *testing.T) {
	dest := newDestination(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": filepath.Join(dir, "c.db"), "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr}
	control := startAt(t, env, addr, "control")
	var tok struct{ Token string }
	control.apiJSON(t, "POST", "/api/v1/tokens", `{"name":"p","scopes":["prober"],"regions":["us-east"]}`, &tok)
	const monitors = 12
	var ids []int64
	for i := range monitors {
		var mon struct{ ID int64 }
		control.apiJSON(t, "POST", "/api/v1/monitors", fmt.Sprintf(`{"name":"m%d","url":%q,"check_interval":"1s"}`, i, fmt.Sprintf("%s/m%d", dest.URL, i)), &mon)
		ids = append(ids, mon.ID)
	}
	startProber(t, control.url, tok.Token, "us-east", "a", filepath.Join(dir, "sa"))
	startProber(t, control.url, tok.Token, "us-east", "b", filepath.Join(dir, "sb"))

	// Once both have sent a heartbeat and reloaded assignments, each monitor
	// is checked by exactly one of them: wait for that steady state (the
	// latest three checks of every monitor by one prober), then see that
	// the next three checks of every monitor come from that same prober.
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	latest := func(id int64, n int) []linkwatch.Result {
		res, err := st.Results(context.Background(), linkwatch.Target{Kind: linkwatch.KindMonitor, ID: id}, time.Unix(0, 0), time.Now().Add(time.Hour), n)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	oneProber := func(res []linkwatch.Result) string {
		if len(res) == 0 {
			return ""
		}
		for _, r := range res[1:] {
			if r.Prober != res[0].Prober {
				return ""
			}
		}
		return res[0].Prober
	}
	owners := map[int64]string{}
	waitUntil(t, 30*time.Second, func() bool {
		probers := map[string]bool{}
		for _, id := range ids {
			res := latest(id, 3)
			owners[id] = oneProber(res)
			if len(res) < 3 || owners[id] == "" {
				return false
			}
			probers[owners[id]] = true
		}
		return len(probers) == 2
	})
	seen := map[int64]int{}
	for _, id := range ids {
		seen[id] = len(latest(id, 0))
	}
	per := map[string]int{}
	for _, id := range ids {
		waitUntil(t, 30*time.Second, func() bool { return len(latest(id, 0)) >= seen[id]+3 })
		next := latest(id, len(latest(id, 0))-seen[id]+3) // the new checks and the three before them
		if p := oneProber(next); p != owners[id] {
			t.Errorf("monitor %d: checked by %v, want only %s", id, next, owners[id])
		}
		per[owners[id]]++
	}
	if per["a"] == 0 || per["b"] == 0 {
		t.Fatalf("work not shared: %v", per)
	}
	t.Logf("monitors per prober: %v", per)
}

// TestServeProbesItsLinks: `serve` checks a new link from region local
// without a restart — short link through its own redirector, destination,
// QR code — and reports a destination that breaks.
func TestServeProbesItsLinks(t *testing.T) {
	var broken sync.Mutex
	fail := false
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		broken.Lock()
		defer broken.Unlock()
		if fail {
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "welcome to the spring sale")
	}))
	defer dest.Close()
	addr := freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": filepath.Join(t.TempDir(), "s.db"), "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_REFRESH": "200ms",
		"LINKWATCH_PROBE_CONFIRM": "1s"}
	s := startAt(t, env, addr, "serve")
	s.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":"spring","destination":%q,"check_interval":"1s","expect_keyword":"spring sale"}`, dest.URL+"/sale"), nil)

	type health struct {
		State   string
		Regions []struct {
			Region, State string
			ErrorClass    string `json:"error_class"`
			Hops          []struct{ URL string }
		}
	}
	get := func() (h health) {
		s.apiJSON(t, "GET", "/api/v1/links/spring/health", "", &h)
		return h
	}
	waitUntil(t, 20*time.Second, func() bool { return get().State == "up" })
	h := get()
	if len(h.Regions) != 1 || h.Regions[0].Region != "local" || len(h.Regions[0].Hops) != 2 ||
		h.Regions[0].Hops[0].URL != "http://"+addr+"/spring" || h.Regions[0].Hops[1].URL != dest.URL+"/sale" {
		t.Fatalf("health %+v", h)
	}

	broken.Lock()
	fail = true
	broken.Unlock()
	waitUntil(t, 20*time.Second, func() bool { h := get(); return h.State == "down" })
	if h := get(); h.Regions[0].ErrorClass != linkwatch.ClassHTTPStatus {
		t.Fatalf("error class %q", h.Regions[0].ErrorClass)
	}
	_, metrics := s.get("/metrics")
	for _, m := range []string{`linkwatch_probe_results_total{error_class="ok",region="local"}`, `linkwatch_probe_results_total{error_class="http_status",region="local"}`,
		"linkwatch_probe_schedule_lag_seconds_bucket", "linkwatch_probe_checks_in_flight", `linkwatch_probe_duration_seconds_bucket{phase="total",region="local"`} {
		if !strings.Contains(metrics, m) {
			t.Errorf("metrics lack %s", m)
		}
	}
}

// TestCheckResultsReachDogStatsD: with LINKWATCH_DOGSTATSD_ADDR set, every
// check result also goes to DataDog as metrics, tagged with the link.
func TestCheckResultsReachDogStatsD(t *testing.T) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	dest := newDestination(t)
	addr := freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": filepath.Join(t.TempDir(), "d.db"), "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_REFRESH": "200ms",
		"LINKWATCH_DOGSTATSD_ADDR": udp.LocalAddr().String()}
	s := startAt(t, env, addr, "serve")
	s.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":"dd","destination":%q,"check_interval":"1s","tags":["spring"]}`, dest.URL+"/x"), nil)

	udp.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 65536)
	for {
		n, _, err := udp.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no check result reached DogStatsD: %v", err)
		}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			if strings.HasPrefix(line, "linkwatch.check.success:1|g") && strings.Contains(line, "link:dd") &&
				strings.Contains(line, "region:local") && strings.Contains(line, "tag:spring") {
				return
			}
		}
	}
}

// TestRestartsNeverPage: restarting serve and a remote prober leaves no
// silent prober behind. Probers keep their IDs across restarts (region/host
// name), the remote prober started with only --region, --control and --token
// checks the short URLs serve hands out (which follow its listen port, no
// public URL configured), and a clean stop deregisters. An alert engine
// then run over the database an hour on pages for no prober — but does for
// one that died without deregistering, so the check can fail.
func TestRestartsNeverPage(t *testing.T) {
	dest := newDestination(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	addr := freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": db, "LINKWATCH_ADMIN_TOKEN": testAdminToken, "LINKWATCH_REGION": "local",
		"LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_REFRESH": "200ms", "LINKWATCH_ALERT_EVALUATION_INTERVAL": "100ms"}
	s := startAt(t, env, addr, "serve")
	_, port, _ := net.SplitHostPort(addr)
	publicURL := "http://localhost:" + port
	if out := s.stdout.String(); !strings.Contains(out, "Short links and QR codes use "+publicURL+": set LINKWATCH_PUBLIC_URL") {
		t.Errorf("the banner does not say which public URL short links use:\n%s", out)
	}
	var link struct {
		ShortURL string `json:"short_url"`
	}
	s.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":"spring","destination":%q,"check_interval":"1s"}`, dest.URL+"/spring"), &link)
	if link.ShortURL != publicURL+"/spring" {
		t.Fatalf("short_url %q, want %s/spring", link.ShortURL, publicURL)
	}
	var tok struct{ Token string }
	s.apiJSON(t, "POST", "/api/v1/tokens", `{"name":"eu","scopes":["prober"],"regions":["eu-west"]}`, &tok)

	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	local, eu := "local/"+host, "eu-west/"+host
	probers := func() map[string]string {
		var out struct{ Probers []struct{ ID, State string } }
		s.apiJSON(t, "GET", "/api/v1/probers", "", &out)
		m := map[string]string{}
		for _, p := range out.Probers {
			m[p.ID] = p.State
		}
		return m
	}
	waitFor := func(what string, want map[string]string) {
		t.Helper()
		var got map[string]string
		deadline := time.Now().Add(20 * time.Second)
		for got = probers(); fmt.Sprint(got) != fmt.Sprint(want); got = probers() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: probers %v, want %v", what, got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	bothUp := func() bool {
		var h struct {
			Regions []struct{ Region, State string }
		}
		s.apiJSON(t, "GET", "/api/v1/links/spring/health", "", &h)
		up := 0
		for _, r := range h.Regions {
			if r.State == "up" {
				up++
			}
		}
		return up == 2
	}

	spool := filepath.Join(dir, "spool")
	stopProber := startProber(t, s.url, tok.Token, "eu-west", "", spool)
	waitFor("started", map[string]string{local: "live", eu: "live"})
	waitUntil(t, 20*time.Second, bothUp) // the remote prober checks the assigned short URL

	if err := stopProber(); err != nil {
		t.Fatal(err)
	}
	waitFor("the prober stopped", map[string]string{local: "live", eu: "stopped"})
	stopProber = startProber(t, s.url, tok.Token, "eu-west", "", spool)
	waitFor("the prober restarted", map[string]string{local: "live", eu: "live"})

	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	s = startAt(t, env, addr, "serve")
	waitFor("serve restarted", map[string]string{local: "live", eu: "live"})
	waitUntil(t, 20*time.Second, bothUp)
	if err := stopProber(); err != nil {
		t.Fatal(err)
	}
	waitFor("the prober stopped again", map[string]string{local: "live", eu: "stopped"})
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	ctx := t.Context()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stopped, err := st.Probers(ctx)
	if err != nil || len(stopped) != 2 || stopped[0].StoppedAt.IsZero() || stopped[1].StoppedAt.IsZero() {
		t.Fatalf("after clean stops: %+v, %v; want both probers stopped", stopped, err)
	}
	// A prober that died without deregistering, to show the engine pages.
	now := time.Now()
	if err := st.Heartbeat(ctx, linkwatch.ProberInfo{ID: "eu-west/crashed", Region: "eu-west", Version: "t", LastSeen: now}); err != nil {
		t.Fatal(err)
	}
	clock := &e2eClock{now: now}
	engine := alerting.NewEngine(alerting.EngineConfig{Holder: "later", Receivers: []string{"slack"}, Now: clock.Now},
		st, e2eLog(), prometheus.NewRegistry())
	for at := now; at.Before(now.Add(time.Hour)); at = at.Add(10 * time.Second) {
		clock.Set(at)
		if err := engine.Evaluate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	due, err := st.Due(ctx, now.Add(2*time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var paged []string
	for _, o := range due {
		if o.Notification.Rule == "prober_silent" {
			paged = append(paged, o.Notification.Kind+" "+o.Notification.Labels["prober"])
		}
	}
	if len(paged) != 1 || paged[0] != "firing eu-west/crashed" {
		t.Fatalf("prober_silent notifications %v, want only the crashed prober's firing", paged)
	}
}

// TestProberListensOnLoopback: a prober started with only --region,
// --control and --token serves /healthz and /metrics on 127.0.0.1:9464 (not
// :8080, so it starts beside serve) and says so; a redirector with only its
// address changed says which public URL it uses.
func TestProberListensOnLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", defaultProberAddr)
	if err != nil {
		t.Skipf("%s is taken on this machine: %v", defaultProberAddr, err)
	}
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out syncBuffer
	go func() {
		done <- run(ctx, []string{"prober", "--region", "eu-west", "--control", "http://127.0.0.1:1", "--token", "t",
			"--spool", t.TempDir(), "--log-level", "error"}, func(string) string { return "" }, &out, &out)
	}()
	defer func() { cancel(); <-done }()
	waitUntil(t, 20*time.Second, func() bool {
		resp, err := http.Get("http://" + defaultProberAddr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if !strings.Contains(out.String(), "health and metrics on http://"+defaultProberAddr) {
		t.Errorf("banner: %s", out.String())
	}

	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	r := startAt(t, map[string]string{"LINKWATCH_DB": filepath.Join(t.TempDir(), "r.db"), "LINKWATCH_ADDR": addr}, addr, "redirector")
	if want := "Short links and QR codes use http://localhost:" + port + ": set LINKWATCH_PUBLIC_URL"; !strings.Contains(r.stdout.String(), want) {
		t.Errorf("redirector banner %q lacks %q", r.stdout.String(), want)
	}
}

// TestProberRefusedAtStart: a prober whose token does not name its region
// stops at once with the control plane's reason, rather than running on
// with a warning every ten seconds.
func TestProberRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": filepath.Join(dir, "c.db"), "LINKWATCH_ADMIN_TOKEN": testAdminToken}
	control := startAt(t, env, addr, "control")
	var tok struct{ Token string }
	control.apiJSON(t, "POST", "/api/v1/tokens", `{"name":"eu","scopes":["prober"],"regions":["eu-west"]}`, &tok)
	var out syncBuffer
	err := run(t.Context(), []string{"prober", "--region", "us-east", "--control", control.url, "--token", tok.Token,
		"--spool", filepath.Join(dir, "spool"), "--addr", "127.0.0.1:0"}, func(string) string { return "" }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), `may report only for regions eu-west, not "us-east"`) {
		t.Fatalf("run = %v, want the control plane's refusal naming the regions", err)
	}
}

// rawJSON is the body of an admin GET of path, or the error, for a failing
// test's log.
func (s *server) rawJSON(t *testing.T, path string) string {
	req, _ := http.NewRequest("GET", s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
