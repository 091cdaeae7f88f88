package main

import (
	"fmt"
	"slices"

	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/alerting/webhook"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSlack is an incoming webhook that keeps what it is sent.
type fakeSlack struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, string(b))
		f.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSlack) messages(containing ...string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, b := range f.bodies {
		all := true
		for _, c := range containing {
			all = all && strings.Contains(b, c)
		}
		if all {
			n++
		}
	}
	return n
}

// TestLinkDownReachesSlack: a destination that breaks is in Slack as
// link_down within a few check intervals, once; its recovery resolves it.
func TestLinkDownReachesSlack(t *testing.T) {
	var mu sync.Mutex
	down := false
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			http.Error(w, "gone fishing", http.StatusBadGateway)
			return
		}
		io.WriteString(w, "spring sale")
	}))
	defer dest.Close()
	slackSrv := newFakeSlack(t)
	const hookSecret = "campaign-owner-shared-secret"
	var hookMu sync.Mutex
	var hooks []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte(hookSecret), r.Header.Get(webhook.HeaderSignature), b, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		hookMu.Lock()
		hooks = append(hooks, string(b))
		hookMu.Unlock()
	}))
	defer hook.Close()
	// DataDog without an Agent: events through the HTTP API.
	const ddKey = "dd-api-key-0123456789abcdef"
	var ddMu sync.Mutex
	var ddEvents []string
	dd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/api/v1/events" || r.Header.Get("DD-API-KEY") != ddKey {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		ddMu.Lock()
		ddEvents = append(ddEvents, string(b))
		ddMu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer dd.Close()
	addr := freeAddr(t)
	db := filepath.Join(t.TempDir(), "a.db")
	env := withFastLoops(map[string]string{"LINKWATCH_DB": db, "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_REFRESH": "200ms",
		"LINKWATCH_PROBE_CONFIRM": "1s", "LINKWATCH_SLACK_WEBHOOK_URL": slackSrv.URL + "/services/T000/B000/secret",
		"LINKWATCH_WEBHOOK_URL": hook.URL + "/linkwatch", "LINKWATCH_WEBHOOK_SECRET": hookSecret,
		"LINKWATCH_DATADOG_API_KEY": ddKey, "LINKWATCH_DATADOG_API_URL": dd.URL})
	s := startAt(t, env, addr, "serve")
	s.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":"sale","destination":%q,"check_interval":"1s","tags":["spring"]}`, dest.URL+"/sale"), nil)
	waitUntil(t, 20*time.Second, func() bool {
		var h struct{ State string }
		s.apiJSON(t, "GET", "/api/v1/links/sale/health", "", &h)
		return h.State == "up"
	})

	mu.Lock()
	down = true
	mu.Unlock()
	broke := time.Now()
	waitUntil(t, 30*time.Second, func() bool { return slackSrv.messages("link_down", "FIRING") > 0 })
	t.Logf("link_down reached Slack %s after the destination broke", time.Since(broke).Round(100*time.Millisecond))
	if slackSrv.messages("link_down", "FIRING") != 1 || slackSrv.messages("spring") == 0 {
		t.Fatalf("want one FIRING link_down naming the campaign; got %q", slackSrv.bodies)
	}

	// The link's own alert, and its campaign's group, which notified.
	var firing struct {
		Alerts []struct{ Rule, State, Severity, Scope string }
	}
	s.apiJSON(t, "GET", "/api/v1/alerts?state=firing&tag=spring", "", &firing)
	var scopes []string
	for _, a := range firing.Alerts {
		if a.Rule != "link_down" || a.Severity != "critical" {
			t.Fatalf("firing alerts %+v", firing)
		}
		scopes = append(scopes, a.Scope)
	}
	if len(scopes) != 2 || !slices.Contains(scopes, "campaign/spring") {
		t.Fatalf("firing alerts %+v, want the link's and its campaign's", firing)
	}

	mu.Lock()
	down = false
	mu.Unlock()
	waitUntil(t, 30*time.Second, func() bool { return slackSrv.messages("link_down", "RESOLVED") > 0 })
	// Ten more evaluations, and the deliveries of whatever they queued:
	// nothing is sent twice.
	s.waitEvaluations(t, 10)
	waitLeaseCycles(t, db, alerting.DeliveryLease, 3)
	if n := slackSrv.messages("link_down", "FIRING"); n != 1 {
		t.Fatalf("link_down FIRING sent %d times", n)
	}
	hookMu.Lock()
	signed := len(hooks)
	leaked := signed > 0 && strings.Contains(strings.Join(hooks, ""), `"destination"`)
	hookMu.Unlock()
	if signed < 2 || leaked {
		t.Fatalf("webhook got %d signed notifications (want firing and resolved), destination field present: %v\n%s", signed, leaked, hooks)
	}
	if strings.Contains(s.stderr.String(), "secret") || strings.Contains(s.stderr.String(), ddKey) {
		t.Fatal("the webhook URL or the DataDog API key reached the log")
	}
	waitUntil(t, 10*time.Second, func() bool {
		ddMu.Lock()
		defer ddMu.Unlock()
		return len(ddEvents) >= 2
	})
	ddMu.Lock()
	defer ddMu.Unlock()
	if !strings.Contains(ddEvents[0], `"alert_type":"error"`) || !strings.Contains(ddEvents[len(ddEvents)-1], `"alert_type":"success"`) {
		t.Fatalf("DataDog events %q, want the firing as an error and the resolution as a success", ddEvents)
	}
}
