package statuspage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch/prober"
	"github.com/linkwatch/linkwatch/statuspage"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

// subscriptionsServer serves cfg's subscriptions, on a real SQLite store,
// from an httptest server.
func subscriptionsServer(t *testing.T, cfg statuspage.SubscriptionsConfig) (*httptest.Server, *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Outbox = st, st
	if cfg.PageURL == "" {
		cfg.PageURL = "https://acme.example/status"
	}
	subs, err := statuspage.NewSubscriptions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	subs.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, st
}

func postJSON(t *testing.T, u, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSubscribeConfirmationDoesNotFollowRedirects: a webhook that
// redirects its confirmation request elsewhere is not subscribed, and the
// redirect's target receives nothing.
func TestSubscribeConfirmationDoesNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/in", http.StatusTemporaryRedirect)
	}))
	defer hook.Close()
	srv, st := subscriptionsServer(t, statuspage.SubscriptionsConfig{HTTP: prober.GuardedClient(true, 5*time.Second)})
	code, body := postJSON(t, srv.URL+"/status/subscribe", `{"url":"`+hook.URL+`/hook"}`)
	if code != http.StatusUnprocessableEntity || elsewhere.Load() != 0 {
		t.Fatalf("a redirecting webhook: %d %s; its target got %d requests", code, body, elsewhere.Load())
	}
	if subs, _ := st.ListSubscribers(context.Background()); len(subs) != 0 {
		t.Fatalf("kept %+v", subs)
	}
}

// TestSubscribeErrorsAreGeneric: a webhook the address guard refuses is
// answered "could not reach that URL", naming no address.
func TestSubscribeErrorsAreGeneric(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	srv, _ := subscriptionsServer(t, statuspage.SubscriptionsConfig{HTTP: prober.GuardedClient(false, 5*time.Second)})
	u, _ := url.Parse(hook.URL)
	for _, target := range []string{hook.URL + "/hook", "http://localhost:" + u.Port() + "/hook"} {
		code, body := postJSON(t, srv.URL+"/status/subscribe", `{"url":"`+target+`"}`)
		var answer struct{ Message string }
		json.Unmarshal([]byte(body), &answer)
		if code != http.StatusUnprocessableEntity || !strings.Contains(answer.Message, "could not reach that URL") ||
			strings.Contains(body, "127.0.0.1") || strings.Contains(body, "::1") || strings.Contains(body, u.Port()) {
			t.Errorf("subscribe %s: %d %s", target, code, body)
		}
	}
}

// confirmingHook is a webhook that keeps the links of the confirmation
// request it receives.
func confirmingHook(t *testing.T) (*httptest.Server, <-chan map[string]string) {
	t.Helper()
	got := make(chan map[string]string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		json.NewDecoder(r.Body).Decode(&m)
		if m["type"] == "subscription_confirmation" {
			got <- m
		}
	}))
	t.Cleanup(hook.Close)
	return hook, got
}

// local points a link at the test server instead of the page's public URL.
func local(srv *httptest.Server, link string) string {
	return strings.Replace(link, "https://acme.example", srv.URL, 1)
}

// TestConfirmAndUnsubscribeLinksNeedAPost: opening a confirmation or an
// unsubscription link (as mail scanners do) shows a page with a button and
// changes nothing; the button's POST does, and so does the one-click
// List-Unsubscribe POST.
func TestConfirmAndUnsubscribeLinksNeedAPost(t *testing.T) {
	ctx := context.Background()
	hook, got := confirmingHook(t)
	srv, st := subscriptionsServer(t, statuspage.SubscriptionsConfig{HTTP: prober.GuardedClient(true, 5*time.Second)})
	if code, body := postJSON(t, srv.URL+"/status/subscribe", `{"url":"`+hook.URL+`/hook"}`); code != http.StatusAccepted {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	links := <-got
	confirmURL, unsubscribeURL := local(srv, links["confirm_url"]), local(srv, links["unsubscribe_url"])
	confirmed := func() (bool, bool) {
		subs, err := st.ListSubscribers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) == 0 {
			return false, false
		}
		return true, !subs[0].ConfirmedAt.IsZero()
	}
	for _, link := range []string{confirmURL, unsubscribeURL} {
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		u, _ := url.Parse(link)
		action := `action="` + strings.ReplaceAll(u.RequestURI(), "&", "&amp;") + `"`
		if resp.StatusCode != 200 || !strings.Contains(string(b), `<form method="post"`) || !strings.Contains(string(b), action) ||
			!strings.Contains(string(b), "<button") {
			t.Errorf("GET %s: %d\n%s", link, resp.StatusCode, b)
		}
		if exists, ok := confirmed(); !exists || ok {
			t.Fatalf("after GET %s: exists %v, confirmed %v", link, exists, ok)
		}
	}
	resp, err := http.Post(confirmURL, "application/x-www-form-urlencoded", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST confirm: %v %v", err, resp)
	}
	resp.Body.Close()
	if _, ok := confirmed(); !ok {
		t.Fatal("the POST did not confirm")
	}
	resp, err = http.Post(unsubscribeURL, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %v %v", err, resp)
	}
	resp.Body.Close()
	if exists, _ := confirmed(); exists {
		t.Fatal("still subscribed after the one-click POST")
	}
}

// TestSubscribeRateLimits: a client address gets 5 subscription requests a
// minute, whatever X-Forwarded-For says, and everyone together 60; past
// them the answer is 429 with Retry-After, and a minute later requests pass
// again. The webhook receives only the allowed requests.
func TestSubscribeRateLimits(t *testing.T) {
	var hits atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer hook.Close()
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv, _ := subscriptionsServer(t, statuspage.SubscriptionsConfig{HTTP: prober.GuardedClient(true, 5*time.Second), Now: clock})

	subscribe := func(i int, forwardedFor string) *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/status/subscribe", strings.NewReader(fmt.Sprintf(`{"url":"%s/hook/%d"}`, hook.URL, i)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", forwardedFor)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for i := range 5 {
		if resp := subscribe(i, fmt.Sprintf("203.0.113.%d", i)); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	resp := subscribe(5, "198.51.100.7")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the 6th request in a minute: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if hits.Load() != 5 {
		t.Fatalf("the webhook got %d requests, want 5", hits.Load())
	}
	advance(time.Minute)
	if resp := subscribe(6, ""); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("a minute later: %d", resp.StatusCode)
	}
}

// TestLimiterGlobalAndBounded: many addresses together get the global
// limit, and the limiter remembers a bounded number of addresses.
func TestLimiterGlobalAndBounded(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	l := statuspage.NewLimiterForTest(5, 60, 100)
	allowed := 0
	for i := range 1000 {
		if ok, wait := l.Allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256), now); ok {
			allowed++
		} else if wait <= 0 {
			t.Fatalf("refused with no wait")
		}
	}
	if allowed != 60 || l.Keys() > 100 {
		t.Fatalf("%d allowed (want 60), %d addresses remembered (at most 100)", allowed, l.Keys())
	}
	now = now.Add(time.Hour)
	if ok, _ := l.Allow("10.9.9.9", now); !ok || l.Keys() > 100 {
		t.Fatalf("an hour later a new address: %v, %d remembered", ok, l.Keys())
	}
}

// noListing is a store whose ListSubscribers must not be called: links
// find their subscriber by token.
type noListing struct {
	*sqlite.Store
	t *testing.T
}

func (s noListing) ListSubscribers(context.Context) ([]statuspage.Subscriber, error) {
	s.t.Error("ListSubscribers called: a link's subscriber is looked up by its token")
	return nil, nil
}

// TestUnconfirmedSubscriptionsExpire: a confirmation link older than 24 h
// is refused with the generic message and its subscription is gone; an
// expired request does not hold its URL; links look subscribers up by
// token, never listing them all.
func TestUnconfirmedSubscriptionsExpire(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	subs, err := statuspage.NewSubscriptions(statuspage.SubscriptionsConfig{Store: noListing{st, t}, Outbox: st,
		HTTP: prober.GuardedClient(true, 5*time.Second), PageURL: "https://acme.example/status", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	subs.Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	hook, got := confirmingHook(t)
	subscribe := func() map[string]string {
		if code, body := postJSON(t, srv.URL+"/status/subscribe", `{"url":"`+hook.URL+`/hook"}`); code != http.StatusAccepted {
			t.Fatalf("subscribe: %d %s", code, body)
		}
		return <-got
	}
	post := func(link string) (int, string) {
		resp, err := http.Post(local(srv, link), "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	links := subscribe()
	advance(statuspage.ConfirmWithin)
	if code, body := post(links["confirm_url"]); code != http.StatusNotFound || !strings.Contains(body, "This confirmation link is not valid.") {
		t.Fatalf("confirm after 24 h: %d %s", code, body)
	}
	if left, _ := st.ListSubscribers(ctx); len(left) != 0 {
		t.Fatalf("an expired subscription is kept: %+v", left)
	}

	// Expired requests are pruned at the next subscription: the URL is free.
	links = subscribe()
	advance(statuspage.ConfirmWithin + time.Second)
	links = subscribe()
	if left, _ := st.ListSubscribers(ctx); len(left) != 1 {
		t.Fatalf("after pruning: %+v", left)
	}
	advance(time.Hour)
	if code, body := post(links["confirm_url"]); code != http.StatusOK {
		t.Fatalf("confirm within 24 h: %d %s", code, body)
	}
	if code, body := post(links["unsubscribe_url"]); code != http.StatusOK {
		t.Fatalf("unsubscribe: %d %s", code, body)
	}
	if code, _ := post(links["unsubscribe_url"]); code != http.StatusNotFound {
		t.Fatalf("unsubscribe twice: %d", code)
	}
}
