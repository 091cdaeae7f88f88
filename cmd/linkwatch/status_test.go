package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/alerting/webhook"
	"github.com/linkwatch/linkwatch/statuspage"
)

// TestStatusPageEndToEnd: components from the configuration file; a link
// that breaks opens an incident on its component by itself and resolves it
// when it recovers; an incident written through the API reaches the
// Statuspage JSON, the page and the feeds, escaped; no destination — and
// no undeclared link — ever appears in public.
func TestStatusPageEndToEnd(t *testing.T) {
	var mu sync.Mutex
	down := false
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if down && r.URL.Path == "/private-landing-checkout" {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer dest.Close()
	cfgFile := filepath.Join(t.TempDir(), "linkwatch.yaml")
	os.WriteFile(cfgFile, []byte(`
status_title: Acme status
status_time_zone: Europe/Berlin
status_components:
  - {id: shop, name: Shop, is_group: true, position: 1}
  - {id: checkout, name: Checkout, group: shop, link: checkout, auto_incident: published, position: 2, description: "Pay for your order"}
  - {id: spring, name: Spring campaign, tag: spring, position: 3}
`), 0o600)
	addr := freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": filepath.Join(t.TempDir(), "s.db"), "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_REFRESH": "200ms",
		"LINKWATCH_SUBSCRIBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_CONFIRM": "1s", "LINKWATCH_CONFIG": cfgFile}
	s := startAt(t, env, addr, "serve")
	waitUntil(t, 20*time.Second, func() bool { resp, _ := s.get("/status"); return resp.StatusCode == 200 })
	if _, page := s.get("/status"); !strings.Contains(page, `name="url"`) || strings.Contains(page, `name="email"`) {
		t.Fatal("without a mail server, the page should offer webhook subscriptions only")
	}
	for _, l := range []string{
		fmt.Sprintf(`{"slug":"checkout","destination":%q,"check_interval":"1s"}`, dest.URL+"/private-landing-checkout"),
		fmt.Sprintf(`{"slug":"sale","destination":%q,"check_interval":"1s","tags":["spring"]}`, dest.URL+"/private-landing-sale"),
		fmt.Sprintf(`{"slug":"undeclared-secret","destination":%q,"check_interval":"1s"}`, dest.URL+"/private-landing-other"),
	} {
		s.apiJSON(t, "POST", "/api/v1/links", l, nil)
	}
	summary := func() (out struct {
		Page struct {
			Name     string
			TimeZone string `json:"time_zone"`
		}
		Status     struct{ Indicator, Description string }
		Components []struct{ ID, Name, Status string }
		Incidents  []struct {
			ID, Name, Status string
			Updates          []struct{ Status, Body string } `json:"incident_updates"`
		}
	}) {
		resp, body := s.get("/api/v2/summary.json")
		if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" || resp.Header.Get("Cache-Control") == "" {
			t.Fatalf("summary.json: %d %v %s", resp.StatusCode, resp.Header, body)
		}
		if strings.Contains(body, "private-landing") || strings.Contains(body, "undeclared-secret") || strings.Contains(body, dest.URL) {
			t.Fatalf("summary.json leaks a destination or an undeclared link: %s", body)
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	waitUntil(t, 30*time.Second, func() bool {
		resp, _ := s.get("/api/v2/summary.json")
		return resp.StatusCode == 200 && summary().Status.Indicator == "none"
	})
	sum := summary()
	if sum.Page.Name != "Acme status" || sum.Page.TimeZone != "Europe/Berlin" || len(sum.Components) != 3 {
		t.Fatalf("summary %+v", sum)
	}
	// A Statuspage client given page.url finds the API under it, and the
	// configuration's components have real times there.
	var comps struct {
		Page       struct{ URL string }
		Components []struct {
			ID        string
			CreatedAt *time.Time `json:"created_at"`
			UpdatedAt *time.Time `json:"updated_at"`
		}
	}
	_, body := s.get("/api/v2/components.json")
	if err := json.Unmarshal([]byte(body), &comps); err != nil || comps.Page.URL != s.url+"/status" {
		t.Fatalf("components.json: %v, page.url %q", err, comps.Page.URL)
	}
	resp, under := s.get(strings.TrimPrefix(comps.Page.URL, s.url) + "/api/v2/components.json")
	if resp.StatusCode != 200 || under != body {
		t.Fatalf("page.url + /api/v2/components.json: %d, the same as at the origin: %v", resp.StatusCode, under == body)
	}
	for _, c := range comps.Components {
		if c.CreatedAt == nil || c.UpdatedAt == nil || c.UpdatedAt.Before(*c.CreatedAt) {
			t.Fatalf("component %s: created_at %v updated_at %v", c.ID, c.CreatedAt, c.UpdatedAt)
		}
	}

	// The checkout destination breaks: link_down opens a published incident.
	mu.Lock()
	down = true
	mu.Unlock()
	waitUntil(t, 40*time.Second, func() bool { return len(summary().Incidents) == 1 })
	sum = summary()
	if sum.Status.Indicator == "none" || sum.Incidents[0].Status != "investigating" {
		t.Fatalf("during the outage %+v", sum)
	}
	for _, c := range sum.Components {
		if c.ID == "checkout" && c.Status != "major_outage" {
			t.Fatalf("checkout is %s during its outage", c.Status)
		}
	}
	_, page := s.get("/status")
	if !strings.Contains(page, "Checkout") || !strings.Contains(page, sum.Incidents[0].Name) || strings.Contains(page, "private-landing") {
		t.Fatalf("the page during the outage:\n%s", page)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	waitUntil(t, 40*time.Second, func() bool { return len(summary().Incidents) == 0 })
	var resolved struct{ Incidents []struct{ Status string } }
	_, body = s.get("/api/v2/incidents.json")
	json.Unmarshal([]byte(body), &resolved)
	if len(resolved.Incidents) != 1 || resolved.Incidents[0].Status != "resolved" {
		t.Fatalf("incidents.json after recovery: %s", body)
	}

	// A visitor subscribes a webhook: it receives a confirmation request,
	// confirms, and then receives every incident update, signed.
	var hookMu sync.Mutex
	var hookBodies []string
	var confirm struct {
		ConfirmURL string `json:"confirm_url"`
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hookMu.Lock()
		defer hookMu.Unlock()
		if confirm.ConfirmURL == "" {
			json.Unmarshal(b, &confirm)
		} else if tok := tokenOf(confirm.ConfirmURL); webhook.Verify([]byte(tok), r.Header.Get(webhook.HeaderSignature), b, time.Now(), time.Minute) == nil {
			hookBodies = append(hookBodies, string(b))
		}
	}))
	defer hook.Close()
	resp, err := http.Post(s.url+"/status/subscribe", "application/json", strings.NewReader(`{"url":"`+hook.URL+`/incidents"}`))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("subscribe: %v %v", err, resp)
	}
	hookMu.Lock()
	confirmURL := confirm.ConfirmURL
	hookMu.Unlock()
	if !strings.HasPrefix(confirmURL, s.url+"/status/subscribe/confirm?") {
		t.Fatalf("confirmation request %q", confirmURL)
	}
	if resp := postLink(t, confirmURL); resp.StatusCode != 200 {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	if resp := postLink(t, s.url+"/status/subscribe/confirm?id=x&token=y"); resp.StatusCode != 404 {
		t.Fatalf("a forged confirmation: %d", resp.StatusCode)
	}
	// Without a mail server, email subscriptions are refused, clearly.
	resp, err = http.PostForm(s.url+"/status/subscribe", url.Values{"email": {"reader@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "no mail server") {
		t.Fatalf("an email subscription without SMTP: %d %s", resp.StatusCode, b)
	}
	resp.Body.Close()

	// An incident through the API, with hostile text.
	const xss = `<script>alert("x")</script>`
	var in struct{ ID string }
	s.apiJSON(t, "POST", "/api/v1/incidents", `{"name":"Slow scans `+strings.ReplaceAll(xss, `"`, `\"`)+`","impact":"minor",
		"body":"We are looking into it `+strings.ReplaceAll(xss, `"`, `\"`)+`","components":[{"component_id":"spring","status":"degraded_performance"}]}`, &in)
	s.apiJSON(t, "POST", "/api/v1/incidents/"+in.ID+"/updates", `{"status":"identified","body":"A bad print run"}`, nil)
	waitUntil(t, 10*time.Second, func() bool {
		sum := summary()
		return len(sum.Incidents) == 1 && len(sum.Incidents[0].Updates) == 2
	})
	for _, c := range summary().Components {
		if c.ID == "spring" && c.Status != "degraded_performance" {
			t.Fatalf("the incident does not override spring's status: %s", c.Status)
		}
	}
	for _, path := range []string{"/status", "/status/incidents/" + in.ID, "/status/history", "/status/history.atom", "/status/history.rss", "/status/embed"} {
		resp, body := s.get(path)
		if resp.StatusCode != 200 || strings.Contains(body, "<script>alert") || strings.Contains(body, "private-landing") {
			t.Fatalf("%s: %d, escaped? %s", path, resp.StatusCode, body)
		}
		if strings.HasSuffix(path, ".atom") || strings.HasSuffix(path, ".rss") {
			var doc struct{ XMLName xml.Name }
			if err := xml.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatalf("%s is not XML: %v", path, err)
			}
		}
	}
	if resp, body := s.get("/status/badge/spring.svg"); resp.StatusCode != 200 || !strings.Contains(body, "<svg") {
		t.Fatalf("badge: %d %s", resp.StatusCode, body)
	}
	s.apiJSON(t, "POST", "/api/v1/incidents/"+in.ID+"/updates", `{"status":"resolved","body":"Reprinted"}`, nil)
	waitUntil(t, 10*time.Second, func() bool { return len(summary().Incidents) == 0 })
	waitUntil(t, 15*time.Second, func() bool {
		hookMu.Lock()
		defer hookMu.Unlock()
		return len(hookBodies) == 3
	})
	hookMu.Lock()
	defer hookMu.Unlock()
	if !strings.Contains(hookBodies[0], "investigating") || !strings.Contains(hookBodies[2], "Reprinted") {
		t.Fatalf("subscriber got %q", hookBodies)
	}
}

// postLink POSTs a confirmation or unsubscription link, as its page's
// button does (a GET only shows the page).
func postLink(t *testing.T, link string) *http.Response {
	t.Helper()
	resp, err := http.Post(link, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func tokenOf(confirmURL string) string {
	u, _ := url.Parse(confirmURL)
	return u.Query().Get("token")
}

// TestStatusPageEmailSubscription: with a mail server configured, a visitor
// subscribes an address; the confirmation email carries the confirmation
// link; once confirmed, every incident update goes through the outbox and
// arrives as one email — also when the server first answers 451 — whose
// headers incident names cannot add to; a 550 is not retried; the
// unsubscription link ends it.
func TestStatusPageEmailSubscription(t *testing.T) {
	mailSrv := startSMTP(t)
	addr := freeAddr(t)
	db := filepath.Join(t.TempDir(), "s.db")
	env := withFastLoops(map[string]string{"LINKWATCH_DB": db, "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_STATUS_TITLE": "Acme status",
		"LINKWATCH_SMTP_ADDR": mailSrv.addr, "LINKWATCH_SMTP_FROM": "status@acme.example", "LINKWATCH_SMTP_TLS": "none"})
	// quiet waits until anything the status page could still queue for
	// subscribers has been queued and delivered: five rebuilds (the lease
	// holder announces updates in them), then three delivery cycles.
	quiet := func() {
		t.Helper()
		waitLeaseCycles(t, db, statuspage.AutoLease, 5)
		waitLeaseCycles(t, db, alerting.DeliveryLease, 3)
	}
	s := startAt(t, env, addr, "serve")
	waitUntil(t, 20*time.Second, func() bool { resp, _ := s.get("/status"); return resp.StatusCode == 200 })
	if _, page := s.get("/status"); !strings.Contains(page, `name="email"`) {
		t.Fatal("with a mail server, the page offers no email subscription")
	}
	subscribe := func(email string) (int, string) {
		t.Helper()
		resp, err := http.PostForm(s.url+"/status/subscribe", url.Values{"email": {email}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// Subscribing sends the confirmation at once.
	const reader = "reader@example.com"
	if code, body := subscribe(reader); code != http.StatusAccepted {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	msgs := mailSrv.Messages(reader)
	if len(msgs) != 1 || msgs[0].From != "status@acme.example" {
		t.Fatalf("confirmation: %+v", msgs)
	}
	h, text := parseMail(t, msgs[0].Data)
	if h.Get("Subject") != "Confirm your subscription to Acme status" || h.Get("To") != reader ||
		!strings.Contains(h.Get("From"), "<status@acme.example>") {
		t.Fatalf("confirmation headers: %v", h)
	}
	confirmURL := regexp.MustCompile(`http://\S+/status/subscribe/confirm\?\S+`).FindString(text)
	if !strings.HasPrefix(confirmURL, s.url+"/status/subscribe/confirm?") || !strings.Contains(text, "/status/unsubscribe?") {
		t.Fatalf("confirmation text:\n%s", text)
	}
	for _, tc := range []struct {
		email string
		code  int
	}{
		{reader, http.StatusConflict},                    // waiting for its confirmation
		{`"Eve" <eve@example.com>`, 422},                 // a display name
		{"a@example.com, b@example.com", 422},            // a list
		{strings.Repeat("a", 250) + "@example.com", 422}, // too long
		{"not-an-address", 422},
	} {
		if code, body := subscribe(tc.email); code != tc.code {
			t.Errorf("subscribe %q: %d %s, want %d", tc.email, code, body, tc.code)
		}
	}
	if resp := postLink(t, confirmURL); resp.StatusCode != 200 {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}

	// A refused address: the confirmation fails at once, nothing is kept.
	const nobody = "nobody@example.com"
	mailSrv.Refuse(nobody, true)
	if code, body := subscribe(nobody); code != 422 || !strings.Contains(body, "refused") {
		t.Fatalf("subscribe a refused address: %d %s", code, body)
	}
	mailSrv.Refuse(nobody, false)
	if code, body := subscribe(nobody); code != http.StatusAccepted {
		t.Fatalf("subscribe the address once accepted: %d %s", code, body)
	}
	_, text = parseMail(t, mailSrv.Messages(nobody)[0].Data)
	if resp := postLink(t, regexp.MustCompile(`http://\S+/status/subscribe/confirm\?\S+`).FindString(text)); resp.StatusCode != 200 {
		t.Fatalf("confirm %s: %d", nobody, resp.StatusCode)
	}
	mailSrv.Refuse(nobody, true) // from now on: 550, never retried

	// An incident whose name tries to add a header; the server first
	// answers 451.
	rcptsBefore, _ := mailSrv.Attempts(nobody)
	mailSrv.FailNext(1)
	var in struct{ ID string }
	s.apiJSON(t, "POST", "/api/v1/incidents", `{"name":"Slow scans\r\nBcc: victim@example.com\r\n\r\nforged body","impact":"minor",
		"body":"We are looking into it <b>now</b>"}`, &in)
	waitUntil(t, 20*time.Second, func() bool { return len(mailSrv.Messages(reader)) == 2 })
	quiet() // no second copy comes
	msgs = mailSrv.Messages(reader)
	if len(msgs) != 2 {
		t.Fatalf("%d emails to %s, want the confirmation and one update", len(msgs), reader)
	}
	if _, datas := mailSrv.Attempts(reader); datas < 3 {
		t.Errorf("%d DATA commands: the 451 was not retried?", datas)
	}
	if rcpts, _ := mailSrv.Attempts(nobody); rcpts != rcptsBefore+1 {
		t.Errorf("a 550 recipient was tried %d times, want once", rcpts-rcptsBefore)
	}
	if len(msgs[1].To) != 1 || msgs[1].To[0] != reader {
		t.Fatalf("update recipients %v", msgs[1].To)
	}
	h, text = parseMail(t, msgs[1].Data)
	if len(h["Bcc"]) != 0 || strings.Contains(msgs[1].Data, "\r\nBcc:") {
		t.Fatalf("the incident name injected a header:\n%s", msgs[1].Data)
	}
	if subj := h.Get("Subject"); subj != "[Acme status] Slow scans Bcc: victim@example.com forged body: Investigating" {
		t.Errorf("Subject %q", subj)
	}
	incidentURL := s.url + "/status/incidents/" + in.ID
	if !strings.Contains(text, "We are looking into it <b>now</b>") || !strings.Contains(text, incidentURL) ||
		!strings.Contains(text, "Investigating") {
		t.Fatalf("update text:\n%s", text)
	}
	unsubscribe := strings.Trim(h.Get("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(unsubscribe, s.url+"/status/unsubscribe?") || !strings.Contains(text, unsubscribe) ||
		h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("unsubscription: %q %q\n%s", unsubscribe, h.Get("List-Unsubscribe-Post"), text)
	}
	if _, html := parsePart(t, msgs[1].Data, "text/html"); !strings.Contains(html, "We are looking into it &lt;b&gt;now&lt;/b&gt;") ||
		!strings.Contains(html, `href="`+incidentURL+`"`) {
		t.Errorf("the HTML part does not escape the update:\n%s", html)
	}

	// One-click unsubscription (RFC 8058); then updates are not sent.
	resp, err := http.Post(unsubscribe, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("unsubscribe: %v %v", err, resp)
	}
	resp.Body.Close()
	if resp := postLink(t, unsubscribe); resp.StatusCode != 404 {
		t.Fatalf("unsubscribe twice: %d", resp.StatusCode)
	}
	s.apiJSON(t, "POST", "/api/v1/incidents/"+in.ID+"/updates", `{"status":"resolved","body":"Fixed"}`, nil)
	quiet()
	if got := mailSrv.Messages(reader); len(got) != 2 {
		t.Fatalf("%d emails after unsubscribing, want 2", len(got))
	}
}
