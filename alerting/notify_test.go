package alerting

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// queued returns the notifications queued so far, in order.
func (w *ruleWorld) queued() []Outgoing {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	var out []Outgoing
	for id := int64(1); id <= w.st.nextID; id++ {
		if r := w.st.rows[id]; r != nil {
			out = append(out, r.Outgoing)
		}
	}
	return out
}

func untaggedLinks(n int, host string) []*linkwatch.Link {
	var links []*linkwatch.Link
	for i := range n {
		links = append(links, &linkwatch.Link{ID: int64(i + 1), Slug: fmt.Sprintf("l%02d", i), Destination: "https://" + host + "/p/" + fmt.Sprint(i),
			Tags: []string{}, RedirectCode: 302, CheckInterval: 10 * time.Second})
	}
	return links
}

// TestResolutionSaysWhatRecovered: a link's page says where it fails and
// why; its resolution says where it is up again and after how long, links
// back to the link's health and the status page, and carries the rule's
// built-in runbook.
func TestResolutionSaysWhatRecovered(t *testing.T) {
	public, _ := url.Parse("https://lw.example.com")
	link := &linkwatch.Link{ID: 1, Slug: "spring", Domain: "go.example.org", Destination: "https://shop.example.com/",
		RedirectCode: 302, CheckInterval: 10 * time.Second}
	w := newRuleWorld(t, EngineConfig{PublicURL: public}, link)
	down := map[string][]string{"spring": {"eu-west", "us-east"}}
	for range 36 { // 12 minutes
		w.results(down, 3, 0)
		w.eval(20 * time.Second)
	}
	w.results(nil, 0, 0)
	w.eval(20 * time.Second)
	got := w.queued()
	if len(got) != 2 {
		t.Fatalf("queued %d notifications: %+v", len(got), got)
	}
	fire, res := got[0].Notification, got[1].Notification
	if fire.Kind != KindFiring || fire.Summary != "spring is down in 2 of 3 regions (eu-west, us-east): http_status final status 502" {
		t.Errorf("firing %s: %q", fire.Kind, fire.Summary)
	}
	if res.Kind != KindResolved || res.Summary != "spring is up again in 3 of 3 regions after 12 min" {
		t.Errorf("resolution %s: %q", res.Kind, res.Summary)
	}
	for _, n := range []Notification{fire, res} {
		if n.Runbook != runbookText("link_down") || n.Runbook == "" || n.StatusURL != "https://lw.example.com/status" {
			t.Errorf("%s: runbook %q, status %q", n.Kind, n.Runbook, n.StatusURL)
		}
		if len(n.Alerts) != 1 || n.Alerts[0].HealthURL != "https://lw.example.com/api/v1/links/spring/health?domain=go.example.org" {
			t.Errorf("%s: alerts %+v", n.Kind, n.Alerts)
		}
	}
	if a := w.st.alerts[res.DedupeKey]; a.Summary != res.Summary {
		t.Errorf("stored summary %q", a.Summary)
	}
}

// TestEveryDefaultRuleHasARunbook: each default rule has its built-in text.
func TestEveryDefaultRuleHasARunbook(t *testing.T) {
	for _, r := range DefaultRuleNames {
		if runbookText(r) == "" || defaultTexts[r].members == "" {
			t.Errorf("rule %s has no built-in runbook or group text", r)
		}
	}
}

// TestGroupCountsTheWholeIncident: sixty links of a campaign fail in waves
// of ten, each wave recovering as the next fails; links recovering inside
// the firing group are posted as updates, and the resolution counts all
// sixty and says how long it lasted.
func TestGroupCountsTheWholeIncident(t *testing.T) {
	links := campaignLinks(60, "spring")
	w := newRuleWorld(t, EngineConfig{}, links...)
	for wave := range 6 {
		failing := map[string][]string{}
		for _, l := range links[wave*10 : wave*10+10] {
			failing[l.Slug] = []string{"eu-west", "us-east"}
		}
		if wave > 0 { // the previous wave's last link is still down: the group never empties
			failing[links[wave*10-1].Slug] = []string{"eu-west", "us-east"}
		}
		for range 35 { // 70 s
			w.results(failing, 3, 0)
			w.eval(2 * time.Second)
		}
	}
	w.results(nil, 0, 0)
	w.eval(2 * time.Second)
	got := w.queued()
	last := got[len(got)-1].Notification
	if last.Kind != KindResolved || last.Summary != "every link of campaign spring has recovered (60 were affected) after 7 min" {
		t.Fatalf("resolution %s %q", last.Kind, last.Summary)
	}
	recovered := 0
	for _, o := range got[1 : len(got)-1] {
		n := o.Notification
		if n.Kind != KindRepeat {
			t.Fatalf("update %s %q", n.Kind, n.Summary)
		}
		recovered += len(n.Recovered)
		if len(n.Recovered) > 0 && !strings.Contains(n.Summary, fmt.Sprintf("%d recovered (", len(n.Recovered))) {
			t.Errorf("update does not say who recovered: %q", n.Summary)
		}
	}
	if recovered != 49 { // the first five waves but the last link of the fifth, which recovers with the sixth
		t.Errorf("updates named %d recovered links, want 49", recovered)
	}
	if n := len(w.st.alerts["link_down|campaign/spring"].State.Affected); n != 60 {
		t.Errorf("stored Affected has %d links", n)
	}
}

// TestHostGrouping: fifty untagged links of one destination host going
// down over a minute and a half make one message and at most one update a
// minute; the group's labels carry the host.
func TestHostGrouping(t *testing.T) {
	links := untaggedLinks(50, "shop.example.com")
	links = append(links, &linkwatch.Link{ID: 99, Slug: "other", Destination: "https://elsewhere.example.net/", RedirectCode: 302,
		CheckInterval: 10 * time.Second})
	w := newRuleWorld(t, EngineConfig{}, links...)
	failing := map[string][]string{"other": {"eu-west", "us-east"}}
	for i, l := range links[:50] {
		failing[l.Slug] = []string{"eu-west", "us-east", "ap-south"}
		if i%3 == 2 {
			w.results(failing, 3, 0)
			w.eval(5 * time.Second)
		}
	}
	for range 12 { // one more minute
		w.results(failing, 3, 0)
		w.eval(5 * time.Second)
	}
	var host, other []Notification
	for _, o := range w.queued() {
		switch o.Notification.DedupeKey {
		case "link_down|host/shop.example.com":
			host = append(host, o.Notification)
		case "link_down|host/elsewhere.example.net":
			other = append(other, o.Notification)
		default:
			t.Errorf("unexpected notification %s %s", o.Notification.DedupeKey, o.Notification.Summary)
		}
	}
	// 85 s of failures: the page, and at most one update a minute.
	if len(host) < 2 || len(host) > 3 || host[0].Kind != KindFiring {
		t.Fatalf("%d notifications for one host", len(host))
	}
	for i := 1; i < len(host); i++ {
		if host[i].At.Sub(host[i-1].At) < time.Minute {
			t.Errorf("updates %v apart", host[i].At.Sub(host[i-1].At))
		}
	}
	lastHost := host[len(host)-1]
	if len(lastHost.Alerts) != 50 || lastHost.Labels["host"] != "shop.example.com" || lastHost.Labels["link"] != "" ||
		!strings.HasPrefix(lastHost.Summary, "50 links of host shop.example.com are down (l00, l01, l02, l03, l04, …)") {
		t.Errorf("last update: %d alerts, labels %v, %q", len(lastHost.Alerts), lastHost.Labels, lastHost.Summary)
	}
	// A host with one failing link reads as that link.
	if len(other) != 1 || !strings.HasPrefix(other[0].Summary, "other is down in 2 of 3 regions") {
		t.Errorf("the other host: %+v", other)
	}
}

// TestChannelAddedWhileFiring: an alert that fired while no channel was
// configured is sent, once, to a channel configured later (a restart with
// a new channel); its resolution goes to the channels that had the firing.
func TestChannelAddedWhileFiring(t *testing.T) {
	link := &linkwatch.Link{ID: 1, Slug: "spring", Destination: "https://shop.example.com/", RedirectCode: 302, CheckInterval: 10 * time.Second}
	none, err := NewRouter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := newRuleWorld(t, EngineConfig{Router: none}, link)
	down := map[string][]string{"spring": {"eu-west", "us-east"}}
	for range 3 {
		w.results(down, 3, 0)
		w.eval(2 * time.Second)
	}
	if got := w.queued(); len(got) != 0 || w.st.alerts["link_down|host/shop.example.com"].State.Phase != PhaseFiring {
		t.Fatalf("with no channel: %+v", got)
	}
	// A restart with a slack channel.
	slackOnly, _ := NewRouter([]string{"slack"}, nil)
	w.e = NewEngine(EngineConfig{Holder: "a", Router: slackOnly, Now: func() time.Time { return w.now }}, w.st,
		slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	for range 5 {
		w.results(down, 3, 0)
		w.eval(2 * time.Second)
	}
	got := w.queued()
	if len(got) != 1 || got[0].Receiver != "slack" || got[0].Notification.Kind != KindFiring {
		t.Fatalf("after adding slack: %+v", got)
	}
	// Another restart adds a webhook: it gets the firing too; the
	// resolution goes to both.
	both, _ := NewRouter([]string{"slack", "webhook"}, nil)
	w.e = NewEngine(EngineConfig{Holder: "a", Router: both, Now: func() time.Time { return w.now }}, w.st,
		slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	w.results(down, 3, 0)
	w.eval(2 * time.Second)
	w.results(nil, 0, 0)
	w.eval(2 * time.Second)
	var kinds []string
	for _, o := range w.queued() {
		kinds = append(kinds, o.Receiver+" "+o.Notification.Kind)
	}
	if want := "slack firing, webhook firing, slack resolved, webhook resolved"; strings.Join(kinds, ", ") != want {
		t.Fatalf("queued %v, want %s", kinds, want)
	}
}

// TestResolutionOnlyWhereFired: a channel routed to only after the alert
// resolved gets nothing; one that never had the firing gets no resolution.
func TestResolutionOnlyWhereFired(t *testing.T) {
	link := &linkwatch.Link{ID: 1, Slug: "spring", Destination: "https://shop.example.com/", RedirectCode: 302, CheckInterval: 10 * time.Second}
	w := newRuleWorld(t, EngineConfig{}, link) // slack
	down := map[string][]string{"spring": {"eu-west", "us-east"}}
	w.results(down, 3, 0)
	w.eval(2 * time.Second)
	w.e.cfg.Receivers = []string{"slack", "webhook"}
	w.e.cfg.Router = nil
	w.results(nil, 0, 0) // recovers in the same cycle the webhook appears
	w.eval(2 * time.Second)
	var kinds []string
	for _, o := range w.queued() {
		kinds = append(kinds, o.Receiver+" "+o.Notification.Kind)
	}
	if want := "slack firing, slack resolved"; strings.Join(kinds, ", ") != want {
		t.Fatalf("queued %v, want %s", kinds, want)
	}
}

// TestTransitionsAreLogged: one line per firing (warn, critical) and per
// resolution (info), none for the cycles in between.
func TestTransitionsAreLogged(t *testing.T) {
	link := &linkwatch.Link{ID: 1, Slug: "spring", Destination: "https://shop.example.com/", RedirectCode: 302, CheckInterval: 10 * time.Second}
	w := newRuleWorld(t, EngineConfig{}, link)
	var buf bytes.Buffer
	w.e.log = slog.New(slog.NewTextHandler(&buf, nil))
	down := map[string][]string{"spring": {"eu-west", "us-east"}}
	for range 5 {
		w.results(down, 3, 0)
		w.eval(2 * time.Second)
	}
	w.results(nil, 0, 0)
	w.eval(2 * time.Second)
	w.eval(2 * time.Second)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{
		`level=WARN msg="alert firing" rule=link_down severity=critical scope=host/shop.example.com summary="spring is down in 2 of 3 regions`,
		`level=INFO msg="alert resolved" rule=link_down severity=critical scope=host/shop.example.com summary="spring is up again in 3 of 3 regions after 10 s"`,
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d: %s\nwant %s", i, lines[i], want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0 s",
		45 * time.Second:                      "45 s",
		59*time.Second + 400*time.Millisecond: "59 s",
		90 * time.Second:                      "2 min",
		12 * time.Minute:                      "12 min",
		59*time.Minute + 40*time.Second:       "1 h",
		3*time.Hour + 5*time.Minute:           "3 h 5 min",
		2 * time.Hour:                         "2 h",
		26 * time.Hour:                        "1 d 2 h",
		48 * time.Hour:                        "2 d",
	} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
