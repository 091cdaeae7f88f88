package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch/alerting"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var (
	since = time.Date(2023, 11, 14, 22, 0, 0, 0, time.UTC)
	at    = since.Add(17 * time.Minute)
)

// firing is a single link_down alert as the engine sends it.
func firing() alerting.Notification {
	return alerting.Notification{
		ID: "n1", DedupeKey: "link_down/link:spring-sale", Kind: alerting.KindFiring,
		Rule: "link_down", Severity: alerting.SeverityCritical,
		Summary: "spring-sale is down in 2 of 3 regions",
		Labels:  map[string]string{"team": "growth", "campaign": "spring"},
		Since:   since, At: since,
		Alerts: []alerting.Alert{{
			Link: "spring-sale", ShortURL: "https://lnk.example/spring-sale",
			Destination: "https://shop.example/spring?utm_source=print&utm_medium=qr",
			Tags:        []string{"spring", "print"}, Regions: []string{"eu-west", "us-east"},
			ErrorClass: "http_status", Error: "destination answered 503 Service Unavailable",
			Value: "2 of 3 regions failing", HealthURL: "https://lnk.example/api/v1/links/spring-sale/health",
			Hops: []alerting.Hop{
				{URL: "https://lnk.example/spring-sale", Status: 302},
				{URL: "https://shop.example/spring?utm_source=print&utm_medium=qr", Status: 301},
				{URL: "https://www.shop.example/spring", Status: 503},
			},
		}},
		RunbookURL: "https://runbooks.example/link_down",
		SilenceURL: "https://linkwatch.example/silences/new?matcher=link%3Dspring-sale",
		StatusURL:  "https://lnk.example/status",
	}
}

func resolved() alerting.Notification {
	n := firing()
	n.ID, n.Kind, n.At = "n2", alerting.KindResolved, at
	n.Summary = "spring-sale is up again in 3 of 3 regions after 17 min"
	n.RunbookURL, n.Runbook = "", "Open the destination in a browser & check its status page; <!channel> stays escaped."
	return n
}

// group is one campaign's broken links in one notification.
func group(size int) alerting.Notification {
	n := firing()
	n.Rule, n.Summary = "link_down", fmt.Sprintf("%d links of campaign spring are down", size)
	n.DedupeKey = "link_down/tag:spring"
	n.Alerts, n.Recovered = nil, []string{"spring-old", "spring-older"}
	for i := range size {
		n.Alerts = append(n.Alerts, alerting.Alert{
			Link: fmt.Sprintf("spring-%02d", i), ShortURL: fmt.Sprintf("https://lnk.example/spring-%02d", i),
			Destination: fmt.Sprintf("https://shop.example/spring/%02d", i),
			Tags:        []string{"spring"}, Regions: []string{"eu-west", "us-east", "ap-south"},
			ErrorClass: "dns", Error: "no such host", HealthURL: fmt.Sprintf("https://lnk.example/api/v1/links/spring-%02d/health", i),
		})
	}
	return n
}

func TestBlocksGolden(t *testing.T) {
	for name, n := range map[string]alerting.Notification{
		"firing":   firing(),
		"resolved": resolved(),
		"group50":  group(50),
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keeps "&amp;" readable in the golden files
			enc.SetIndent("", "  ")
			if err := enc.Encode(Blocks(n)); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Blocks(%s) differs from %s (go test -update rewrites it):\n%s", name, path, got)
			}
			checkLimits(t, got)
		})
	}
}

// texts returns every "text" string in a Block Kit JSON document, with its
// object's type.
func texts(t *testing.T, doc []byte) (out []struct{ typ, text string }) {
	t.Helper()
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				typ, _ := v["type"].(string)
				out = append(out, struct{ typ, text string }{typ, s})
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	walk(v)
	return out
}

// ourMarkup are the only mrkdwn control sequences we emit: Slack dates and
// a group line's health link.
var ourMarkup = regexp.MustCompile(`<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9: -]+UTC>|<https://[^<>| ]+\|health>`)

// checkLimits asserts Slack's limits and that mrkdwn holds no markup of ours
// but dates: no raw user "<", and every "&" starts an entity.
func checkLimits(t *testing.T, doc []byte) {
	t.Helper()
	var blocks []map[string]any
	if err := json.Unmarshal(doc, &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) > maxBlocks {
		t.Errorf("%d blocks, Slack allows %d", len(blocks), maxBlocks)
	}
	for _, b := range blocks {
		if b["type"] == "header" && utf8.RuneCountInString(b["text"].(map[string]any)["text"].(string)) > maxHeaderText {
			t.Errorf("header longer than %d: %v", maxHeaderText, b)
		}
	}
	entity := regexp.MustCompile(`&(amp|lt|gt);`)
	for _, x := range texts(t, doc) {
		if n := utf8.RuneCountInString(x.text); n > maxSectionText || n == 0 {
			t.Errorf("text of %d characters: %.80q", n, x.text)
		}
		if x.typ != "mrkdwn" {
			continue
		}
		bare := entity.ReplaceAllString(ourMarkup.ReplaceAllString(x.text, ""), "")
		if strings.ContainsAny(bare, "<>&") {
			t.Errorf("unescaped mrkdwn: %q", x.text)
		}
	}
}

func TestBlocksEscapeUserText(t *testing.T) {
	n := firing()
	n.Summary = "<!channel> spring & <script>alert(1)</script>"
	n.Labels = map[string]string{"team": "<!here>"}
	a := &n.Alerts[0]
	a.Link, a.Error, a.Monitor = "<@U123>", "<!channel> got <b>500</b>", "a & b"
	a.Tags = []string{"<!subteam^S1>"}
	a.Hops[0].URL = "https://x.example/<script>"
	for _, notif := range []alerting.Notification{n, {Rule: "r", Alerts: []alerting.Alert{*a, *a}}} {
		doc, err := json.Marshal(Blocks(notif))
		if err != nil {
			t.Fatal(err)
		}
		checkLimits(t, doc)
		s := string(doc)
		for _, bad := range []string{"<!channel>", "<script>", "<!here>", "<@U123>", "<!subteam"} {
			if strings.Contains(s, bad) {
				t.Errorf("blocks contain %q unescaped", bad)
			}
		}
		if !strings.Contains(s, "\\u0026lt;!channel\\u0026gt;") { // json.Marshal writes & as \u0026
			t.Errorf("blocks lack the escaped <!channel>: %s", s)
		}
	}
	for _, text := range []string{fallbackText(n), replyText(n)} {
		if strings.Contains(text, "<!channel>") || strings.Contains(text, "<script>") || !strings.Contains(text, "&lt;!channel&gt;") {
			t.Errorf("text not escaped: %q", text)
		}
	}
}

func TestBlocksStayWithinLimits(t *testing.T) {
	huge := strings.Repeat("&<>é", 5000)
	n := group(200)
	n.Rule, n.Summary = strings.Repeat("rule", 100), huge
	for i := range n.Alerts {
		n.Alerts[i].Error = huge
	}
	single := firing()
	single.Summary, single.Alerts[0].Error, single.Alerts[0].Destination = huge, huge, huge
	for i := range 12 {
		single.Alerts[0].Hops = append(single.Alerts[0].Hops, alerting.Hop{URL: fmt.Sprintf("https://x.example/%d", i)})
	}
	for name, notif := range map[string]alerting.Notification{"group": n, "single": single} {
		doc, err := json.Marshal(Blocks(notif))
		if err != nil {
			t.Fatal(err)
		}
		checkLimits(t, doc)
		if name == "group" && !strings.Contains(string(doc), "…and 150 more") {
			t.Errorf("a group of 200 does not end with \"and 150 more\"")
		}
		if name == "single" && !strings.Contains(string(doc), "…and 10 more") {
			t.Errorf("15 hops do not end with \"and 10 more\"")
		}
		if utf8.RuneCountInString(fallbackText(notif)) > maxFallback {
			t.Errorf("fallback text too long")
		}
	}
}

func TestCutKeepsEntitiesWhole(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"abcdef&amp;xyz", 9, "abcdef…"},
		{"abc&amp;xyz", 10, "abc&amp;x…"},
		{"ééééé", 3, "éé…"},
	}
	for _, tt := range tests {
		if got := cut(tt.in, tt.limit); got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}
