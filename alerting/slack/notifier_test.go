package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

func newBot(t *testing.T, f *fakeSlack, routes ...Route) *Notifier {
	t.Helper()
	n, err := New(Config{Token: testToken, Channel: "C-DEFAULT", APIURL: f.apiURL(), Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newWebhook(t *testing.T, f *fakeSlack) *Notifier {
	t.Helper()
	n, err := New(Config{WebhookURL: linkwatch.Secret(f.webhookURL())})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // error, "" for none
	}{
		{"nothing", Config{}, "slack: a webhook URL, or a bot token and a channel, is required"},
		{"token without channel", Config{Token: testToken}, "slack: a bot token needs a default channel"},
		{"relative webhook", Config{WebhookURL: "hooks/T/B/x"}, "slack: the webhook URL is not an absolute http(s) URL"},
		{"ftp webhook", Config{WebhookURL: "ftp://example.com/x"}, "slack: the webhook URL is not an absolute http(s) URL"},
		{"bad API URL", Config{Token: testToken, Channel: "C1", APIURL: "http://[::1/api/"}, "slack: the API URL is not an absolute http(s) URL"},
		{"route without channel", Config{Token: testToken, Channel: "C1", Routes: []Route{{Severity: "critical"}}}, "slack: route 1 has no channel"},
		{"webhook", Config{WebhookURL: "https://hooks.slack.com/services/T/B/x"}, ""},
		{"bot", Config{Token: testToken, Channel: "C1"}, ""},
		{"bot wins over webhook", Config{Token: testToken, Channel: "C1", WebhookURL: "https://hooks.slack.com/services/T/B/x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("New: error %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWebhookPostsEveryKindAsNewMessage(t *testing.T) {
	for _, kind := range []string{alerting.KindFiring, alerting.KindRepeat, alerting.KindResolved} {
		t.Run(kind, func(t *testing.T) {
			f := newFakeSlack(t)
			n := newWebhook(t, f)
			notif := firing()
			notif.Kind = kind
			d, err := n.Notify(context.Background(), notif, "C1:1700000000.000001")
			if err != nil || d != (alerting.Delivery{}) {
				t.Fatalf("Notify = %+v, %v; want a plain success", d, err)
			}
			reqs := f.requests()
			if len(reqs) != 1 || reqs[0].Path != testWebhookPath {
				t.Fatalf("requests = %+v, want one POST to the webhook", reqs)
			}
			body := reqs[0].JSON
			if body["text"] == "" || body["blocks"] == nil {
				t.Errorf("webhook body lacks text or blocks: %v", body)
			}
			if body["unfurl_links"] != false || body["unfurl_media"] != false {
				t.Errorf("unfurling not disabled: %v", body)
			}
		})
	}
}

func TestBotRoutesBySeverityAndLabel(t *testing.T) {
	routes := []Route{
		{Severity: alerting.SeverityCritical, Labels: map[string]string{"team": "growth"}, Channel: "C-GROWTH-PAGE"},
		{Severity: alerting.SeverityCritical, Channel: "C-PAGE"},
		{Labels: map[string]string{"team": "growth"}, Channel: "C-GROWTH"},
	}
	tests := []struct {
		severity, team, want string
	}{
		{alerting.SeverityCritical, "growth", "C-GROWTH-PAGE"},
		{alerting.SeverityCritical, "infra", "C-PAGE"},
		{alerting.SeverityWarning, "growth", "C-GROWTH"},
		{alerting.SeverityWarning, "infra", "C-DEFAULT"},
		{alerting.SeverityInfo, "", "C-DEFAULT"},
	}
	for _, tt := range tests {
		t.Run(tt.severity+"/"+tt.team, func(t *testing.T) {
			f := newFakeSlack(t)
			n := newBot(t, f, routes...)
			notif := firing()
			notif.Severity = tt.severity
			notif.Labels = map[string]string{"team": tt.team}
			d, err := n.Notify(context.Background(), notif, "")
			if err != nil {
				t.Fatal(err)
			}
			reqs := f.requests()
			if len(reqs) != 1 || reqs[0].Path != "/api/chat.postMessage" {
				t.Fatalf("requests = %+v, want one chat.postMessage", reqs)
			}
			form := reqs[0].Form
			if got := form.Get("channel"); got != tt.want {
				t.Errorf("posted to %q, want %q", got, tt.want)
			}
			if !strings.Contains(form.Get("blocks"), "link_down") || form.Get("text") == "" {
				t.Errorf("message lacks blocks or text: %v", form)
			}
			if want := tt.want + ":1700000000.000001"; d.Ref != want {
				t.Errorf("Ref = %q, want %q", d.Ref, want)
			}
		})
	}
}

func TestBotFollowUps(t *testing.T) {
	const ref = "C-ORIG:1600000000.000100"
	type call struct{ path, channel, ts, threadTS, contains string }
	tests := []struct {
		name    string
		kind    string
		ref     string
		script  []fakeAnswer
		want    []call
		wantRef string
	}{
		{"resolution edits and replies in thread", alerting.KindResolved, ref, nil, []call{
			{"/api/chat.update", "C-ORIG", "1600000000.000100", "", "RESOLVED"},
			{"/api/chat.postMessage", "C-ORIG", "", "1600000000.000100", "RESOLVED"},
		}, ref},
		{"resolution without ref posts anew", alerting.KindResolved, "", nil, []call{
			{"/api/chat.postMessage", "C-DEFAULT", "", "", "RESOLVED"},
		}, "C-DEFAULT:1700000000.000001"},
		{"resolution of a deleted message posts anew", alerting.KindResolved, ref,
			[]fakeAnswer{{Status: 200, Body: apiError("message_not_found")}}, []call{
				{"/api/chat.update", "C-ORIG", "1600000000.000100", "", "RESOLVED"},
				{"/api/chat.postMessage", "C-ORIG", "", "", "RESOLVED"},
			}, "C-ORIG:1700000000.000002"},
		{"repeat replies in thread", alerting.KindRepeat, ref, nil, []call{
			{"/api/chat.postMessage", "C-ORIG", "", "1600000000.000100", "Still firing"},
		}, ref},
		{"repeat without ref posts anew", alerting.KindRepeat, "", nil, []call{
			{"/api/chat.postMessage", "C-DEFAULT", "", "", "FIRING"},
		}, "C-DEFAULT:1700000000.000001"},
		{"malformed ref posts anew", alerting.KindResolved, "garbage", nil, []call{
			{"/api/chat.postMessage", "C-DEFAULT", "", "", "RESOLVED"},
		}, "C-DEFAULT:1700000000.000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t).then(tt.script...)
			n := newBot(t, f)
			notif := firing()
			notif.Kind = tt.kind
			d, err := n.Notify(context.Background(), notif, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if d.Ref != tt.wantRef || d.Retry {
				t.Errorf("Delivery = %+v, want Ref %q", d, tt.wantRef)
			}
			reqs := f.requests()
			if len(reqs) != len(tt.want) {
				t.Fatalf("got %d requests %+v, want %d", len(reqs), reqs, len(tt.want))
			}
			for i, w := range tt.want {
				r := reqs[i]
				got := call{r.Path, r.Form.Get("channel"), r.Form.Get("ts"), r.Form.Get("thread_ts"), w.contains}
				if got != w {
					t.Errorf("request %d = %+v, want %+v", i, got, w)
				}
				if text := r.Form.Get("text") + r.Form.Get("blocks"); !strings.Contains(text, w.contains) {
					t.Errorf("request %d says %q, want it to contain %q", i, text, w.contains)
				}
			}
		})
	}
}

func TestRetryDecisions(t *testing.T) {
	tests := []struct {
		name      string
		webhook   bool
		answer    fakeAnswer
		retry     bool
		after     time.Duration
		errSubstr string
	}{
		{"bot 429", false, fakeAnswer{Status: 429, RetryAfter: "7", Body: apiError("ratelimited")}, true, 7 * time.Second, "rate limit"},
		{"webhook 429", true, fakeAnswer{Status: 429, RetryAfter: "7", Body: "rate_limited"}, true, 7 * time.Second, "rate limit"},
		{"429 with an HTTP date", false, fakeAnswer{Status: 429, RetryAfter: "Tue, 14 Nov 2023 22:14:00 GMT"}, true, 40 * time.Second, "429"},
		{"429 without Retry-After", true, fakeAnswer{Status: 429}, true, 0, "429"},
		{"bot 500", false, fakeAnswer{Status: 500, Body: "<html>oops</html>"}, true, 0, "500"},
		{"webhook 503 with Retry-After", true, fakeAnswer{Status: 503, RetryAfter: "30"}, true, 30 * time.Second, "503"},
		{"webhook 408", true, fakeAnswer{Status: 408, Body: "request_timeout"}, true, 0, "408"},
		{"transient API error", false, fakeAnswer{Status: 200, Body: apiError("internal_error")}, true, 0, "internal_error"},
		{"channel_not_found", false, fakeAnswer{Status: 200, Body: apiError("channel_not_found")}, false, 0, "channel_not_found"},
		{"invalid_auth", false, fakeAnswer{Status: 200, Body: apiError("invalid_auth")}, false, 0, "invalid_auth"},
		{"not_in_channel", false, fakeAnswer{Status: 200, Body: apiError("not_in_channel")}, false, 0, "not_in_channel"},
		{"not JSON", false, fakeAnswer{Status: 200, Body: "<html>proxy</html>"}, false, 0, "invalid character"},
		{"webhook 404 no_service", true, fakeAnswer{Status: 404, Body: "no_service"}, false, 0, "no_service"},
		{"webhook 400 invalid_payload", true, fakeAnswer{Status: 400, Body: "invalid_payload"}, false, 0, "invalid_payload"},
		{"webhook 403", true, fakeAnswer{Status: 403, Body: "action_prohibited"}, false, 0, "action_prohibited"},
	}
	now := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t).then(tt.answer)
			n := newBot(t, f)
			if tt.webhook {
				n = newWebhook(t, f)
			}
			n.now = func() time.Time { return now }
			d, err := n.Notify(context.Background(), firing(), "")
			if err == nil {
				t.Fatal("Notify succeeded, want an error")
			}
			if d.Retry != tt.retry || d.RetryAfter != tt.after {
				t.Errorf("Delivery = %+v, want Retry %v RetryAfter %v", d, tt.retry, tt.after)
			}
			if !strings.Contains(err.Error(), tt.errSubstr) {
				t.Errorf("error %q does not mention %q", err, tt.errSubstr)
			}
		})
	}
}

func TestNetworkErrorsRetry(t *testing.T) {
	f := newFakeSlack(t)
	bot, webhook := newBot(t, f), newWebhook(t, f)
	f.srv.Close()
	for name, n := range map[string]*Notifier{"bot": bot, "webhook": webhook} {
		d, err := n.Notify(context.Background(), firing(), "")
		if err == nil || !d.Retry {
			t.Errorf("%s to a closed server: Delivery %+v, error %v; want a retry", name, d, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d, err := bot.Notify(ctx, firing(), ""); !d.Retry || !errorsIsCanceled(err) {
		t.Errorf("cancelled: Delivery %+v, error %v; want a retry and context.Canceled", d, err)
	}
}

// TestBurstOf500s retries through a burst of 5xx like the delivery worker
// does and checks the message is delivered exactly once.
func TestBurstOf500s(t *testing.T) {
	for _, mode := range []string{"bot", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			burst := fakeAnswer{Status: 502, Body: "bad gateway"}
			f := newFakeSlack(t).then(burst, burst, burst)
			n := newBot(t, f)
			if mode == "webhook" {
				n = newWebhook(t, f)
			}
			attempts := 0
			for attempts < 10 {
				attempts++
				d, err := n.Notify(context.Background(), firing(), "")
				if err == nil {
					break
				}
				if !d.Retry {
					t.Fatalf("attempt %d: %v without retry", attempts, err)
				}
			}
			if attempts != 4 || f.accepted() != 1 {
				t.Errorf("%d attempts, %d messages accepted; want 4 and exactly 1", attempts, f.accepted())
			}
		})
	}
}

// TestResolutionRetryRepliesOnce fails the thread reply after a successful
// edit: the retry edits again and replies exactly once.
func TestResolutionRetryRepliesOnce(t *testing.T) {
	f := newFakeSlack(t).then(fakeAnswer{Status: 200, Body: `{"ok":true,"channel":"C1","ts":"1.1"}`}, fakeAnswer{Status: 500})
	n := newBot(t, f)
	notif := firing()
	notif.Kind = alerting.KindResolved
	if d, err := n.Notify(context.Background(), notif, "C1:1.1"); err == nil || !d.Retry {
		t.Fatalf("first attempt: Delivery %+v, error %v; want a retry", d, err)
	}
	if d, err := n.Notify(context.Background(), notif, "C1:1.1"); err != nil || d.Ref != "C1:1.1" {
		t.Fatalf("second attempt: Delivery %+v, error %v", d, err)
	}
	var paths []string
	for _, r := range f.requests() {
		paths = append(paths, r.Path+"@"+r.Form.Get("thread_ts"))
	}
	want := "/api/chat.update@ /api/chat.postMessage@1.1 /api/chat.update@ /api/chat.postMessage@1.1"
	if got := strings.Join(paths, " "); got != want || f.accepted() != 2 {
		t.Errorf("requests %s (%d accepted by the fake), want %s", got, f.accepted(), want)
	}
}

func TestConcurrentNotify(t *testing.T) {
	f := newFakeSlack(t).then(fakeAnswer{Status: 500}, fakeAnswer{Status: 429, RetryAfter: "3"})
	n := newBot(t, f)
	const senders = 8
	errs := make(chan error, senders)
	for range senders {
		go func() {
			_, err := n.Notify(context.Background(), firing(), "")
			errs <- err
		}()
	}
	failed := 0
	for range senders {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if failed != 2 || f.accepted() != senders-2 {
		t.Errorf("%d failed, %d accepted; want the 2 scripted failures and %d accepted", failed, f.accepted(), senders-2)
	}
}
