package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The browser test drives Debian's chromium (apt-get install chromium)
// through the DevTools protocol. Without it the test skips, unless
// LINKWATCH_TEST_BROWSER_REQUIRED=1 (set by .ci/run), when it fails.
// Screenshots go to LINKWATCH_TEST_ARTIFACTS (default: the test's temporary
// directory).

// chromiumPath finds the browser, or skips (fails when it is required).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no chromium or chromium-browser on PATH: install it with `apt-get install -y chromium` to run the browser test"
	if os.Getenv("LINKWATCH_TEST_BROWSER_REQUIRED") == "1" {
		t.Fatal(msg + " (LINKWATCH_TEST_BROWSER_REQUIRED=1: the browser test must run)")
	}
	t.Skip(msg)
	return ""
}

// artifactDir is where the test writes screenshots.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LINKWATCH_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts directory: %v", err)
	}
	return dir
}

// startBrowser starts headless Chromium at 1280×900 with one tab, whose
// context it returns; the browser ends with the test or after timeout.
func startBrowser(t *testing.T, chromium string, timeout time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 { // Chromium refuses to run its sandbox as root
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // starts the browser and its tab
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return bctx
}

// watchConsole collects every console error, uncaught exception and failed
// load (browser log error) the tab of ctx reports from now on. The function
// it returns stops watching and returns them; call it once the last page
// has loaded. The test's end stops it too.
func watchConsole(t *testing.T, ctx context.Context) (stop func() []string) {
	var (
		mu       sync.Mutex
		problems []string
		once     sync.Once
	)
	consoleCtx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(consoleCtx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				mu.Unlock()
			}
		}
	}()
	stop = func() []string {
		once.Do(func() {
			stopConsole()
			<-done
		})
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), problems...)
	}
	t.Cleanup(func() { stop() })
	return stop
}

// saveScreenshot writes a full-page PNG of the tab of ctx to dir/name.
func saveScreenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// pageFacts is what the test reads from the status page's DOM.
type pageFacts struct {
	Title      string              `json:"title"`
	Banner     string              `json:"banner"`
	Components map[string]compFact `json:"components"`
	Incidents  []incidentFact      `json:"incidents"`
	Styled     bool                `json:"styled"`
	Text       string              `json:"text"`
}

type compFact struct {
	Status string `json:"status"`
	Days   int    `json:"days"` // rects of the component's own 90-day bar
}

type incidentFact struct {
	Name   string `json:"name"`
	Status string `json:"status"` // the latest update's status
	Body   string `json:"body"`   // the latest update's body
}

// readFacts reads the banner, every component row (name → status words and
// its bar's day count), and the active incident cards. innerText of
// elements in a closed <details> falls back to textContent, so collapsed
// groups read too.
const readFacts = `(() => {
  const txt = (el) => el ? el.textContent.replace(/\s+/g, " ").trim() : "";
  const comps = {};
  for (const head of document.querySelectorAll(".comp-head")) {
    const name = txt(head.querySelector(".comp-name"));
    // The row's body follows its head: in a .comp div, or in the group's <details>.
    const row = head.closest(".comp") || head.closest("details");
    const bar = row ? row.querySelector(":scope > svg.bar") : null;
    comps[name] = {status: txt(head.querySelector(".st")), days: bar ? bar.querySelectorAll("rect").length : -1};
  }
  const incidents = [];
  for (const card of document.querySelectorAll("article.card")) {
    const upd = card.querySelector(".update");
    incidents.push({name: txt(card.querySelector("h3")), status: txt(upd && upd.querySelector(".ustatus")),
      body: txt(upd && upd.querySelector(".body"))});
  }
  // The stylesheet applied: the visually-hidden heading is out of the flow.
  const vh = document.querySelector(".vh");
  const styled = document.styleSheets.length > 0 && !!vh && vh.getBoundingClientRect().width <= 1;
  return {title: document.title, banner: txt(document.querySelector(".banner")), components: comps,
    incidents: incidents, styled: styled, text: document.body.innerText};
})()`

// overflow reports the page's scroll width against the viewport and the
// elements that stick out to the right, for the failure message.
const overflow = `(() => {
  const de = document.documentElement, w = de.clientWidth, out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 0.5 && out.length < 8) {
      out.push(el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? "." + String(el.className).split(" ").join(".") : "") + " right=" + Math.round(r.right));
    }
  }
  return {scrollWidth: de.scrollWidth, clientWidth: w, offenders: out};
})()`

// scriptingOff reports whether the document runs without scripting: HTML
// inside <noscript> parses as elements only then. (DevTools' own
// evaluation, which asks, runs either way.)
const scriptingOff = `(() => {
  const d = document.createElement("div");
  d.innerHTML = "<noscript><b>x</b></noscript>";
  return d.querySelector("noscript b") !== null;
})()`

type overflowFacts struct {
	ScrollWidth int      `json:"scrollWidth"`
	ClientWidth int      `json:"clientWidth"`
	Offenders   []string `json:"offenders"`
}

// TestBrowserStatusPage loads the public status page in headless Chromium:
// the overall banner, a component's status and its 90 day bars, an
// incident with its latest update, all from the rendered DOM with no
// JavaScript error; the header's subscribe control; the incident page's
// duration and changes; the embed's icon colour and script refresh; the
// same content with JavaScript disabled; on a 375 px wide phone no
// horizontal overflow and 30 day cells of at least 24 px that open on a
// tap; axe-core's rules on every page (LINKWATCH_TEST_AXE); and full-page
// screenshots.
func TestBrowserStatusPage(t *testing.T) {
	chromium := chromiumPath(t)
	axe := axeScript(t)
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer dest.Close()
	cfgFile := filepath.Join(t.TempDir(), "linkwatch.yaml")
	if err := os.WriteFile(cfgFile, []byte(`
status_title: Acme status
status_components:
  - {id: shop, name: Shop, is_group: true, position: 1, description: "Everything a customer buys through"}
  - {id: checkout, name: Checkout, group: shop, link: checkout, position: 2, description: "Pay for your order"}
  - {id: catalog, name: Product catalog, group: shop, link: catalog, position: 3}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": filepath.Join(t.TempDir(), "b.db"), "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_REFRESH": "200ms",
		"LINKWATCH_CONFIG": cfgFile, "LINKWATCH_LOG_LEVEL": "warn"}
	s := startAt(t, env, addr, "serve")
	for _, slug := range []string{"checkout", "catalog"} {
		s.apiJSON(t, "POST", "/api/v1/links",
			fmt.Sprintf(`{"slug":%q,"destination":%q,"check_interval":"1s"}`, slug, dest.URL+"/private-landing-"+slug), nil)
	}
	const (
		incidentName = "Card payments fail at checkout"
		latestBody   = "A card processor times out; we are switching to the backup"
	)
	var in struct{ ID string }
	s.apiJSON(t, "POST", "/api/v1/incidents", `{"name":"`+incidentName+`","impact":"major",
		"body":"We are looking into failed card payments","components":[{"component_id":"checkout","status":"partial_outage"}]}`, &in)
	s.apiJSON(t, "POST", "/api/v1/incidents/"+in.ID+"/updates", `{"status":"identified","body":"`+latestBody+`"}`, nil)

	// The snapshot has the incident, its update, and a probed catalog.
	type summary struct {
		Status     struct{ Indicator, Description string }
		Components []struct{ ID, Name, Status string }
		Incidents  []struct {
			Name    string
			Updates []struct{ Status, Body string } `json:"incident_updates"`
		}
	}
	var sum summary
	waitUntil(t, 20*time.Second, func() bool {
		resp, body := s.get("/api/v2/summary.json")
		sum = summary{}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &sum) != nil {
			return false
		}
		probed := false
		for _, c := range sum.Components {
			probed = probed || (c.ID == "catalog" && c.Status == "operational")
		}
		return probed && len(sum.Incidents) == 1 && len(sum.Incidents[0].Updates) == 2
	})
	if sum.Status.Description == "" || sum.Status.Indicator == "none" {
		t.Fatalf("summary during the incident: %+v", sum)
	}

	bctx := startBrowser(t, chromium, 4*time.Minute) // a failure bound: axe-core runs on seven pages
	consoleProblems := watchConsole(t, bctx)

	statusURL := s.url + "/status"
	load := func(what string) pageFacts {
		t.Helper()
		resp, err := chromedp.RunResponse(bctx, chromedp.Navigate(statusURL))
		if err != nil {
			t.Fatalf("%s: loading %s: %v", what, statusURL, err)
		}
		if resp.Status != 200 {
			t.Fatalf("%s: %s answered %d", what, statusURL, resp.Status)
		}
		if err := chromedp.Do(bctx, chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		facts, err := chromedp.Run(bctx, chromedp.Evaluate[pageFacts](readFacts))
		if err != nil {
			t.Fatalf("%s: reading the DOM: %v", what, err)
		}
		return facts
	}
	check := func(what string, f pageFacts) {
		t.Helper()
		if !strings.Contains(f.Title, "Acme status") {
			t.Errorf("%s: title %q", what, f.Title)
		}
		if f.Banner != sum.Status.Description {
			t.Errorf("%s: banner %q, want the summary's %q", what, f.Banner, sum.Status.Description)
		}
		if c, ok := f.Components["Checkout"]; !ok || c.Status != "Partial outage" || c.Days != 90 {
			t.Errorf("%s: Checkout row %+v (present %v), want Partial outage with 90 day bars; rows %+v", what, c, ok, f.Components)
		}
		if c, ok := f.Components["Product catalog"]; !ok || c.Status != "Operational" || c.Days != 90 {
			t.Errorf("%s: Product catalog row %+v (present %v), want Operational with 90 day bars", what, c, ok)
		}
		if _, ok := f.Components["Shop"]; !ok {
			t.Errorf("%s: no Shop group row in %+v", what, f.Components)
		}
		if len(f.Incidents) != 1 || f.Incidents[0].Name != incidentName ||
			!strings.EqualFold(f.Incidents[0].Status, "identified") || f.Incidents[0].Body != latestBody {
			t.Errorf("%s: incident cards %+v, want %q with its latest update (identified) %q", what, f.Incidents, incidentName, latestBody)
		}
		if !f.Styled {
			t.Errorf("%s: the stylesheet did not apply", what)
		}
		for _, secret := range []string{"private-landing", dest.URL} {
			if strings.Contains(f.Text, secret) {
				t.Errorf("%s: the page shows %q", what, secret)
			}
		}
	}
	dir := artifactDir(t)
	screenshot := func(name string) { saveScreenshot(t, bctx, dir, name) }

	// 1. Desktop, JavaScript on.
	desktop := load("desktop")
	check("desktop", desktop)
	if off, err := chromedp.Run(bctx, chromedp.Evaluate[bool](scriptingOff)); err != nil || off {
		t.Fatalf("scripting looks off in a normal load (%v, %v)", off, err)
	}
	screenshot("status-desktop.png")

	checkPageA11y(t, bctx, axe, "/status (desktop)")

	// The header's subscribe control opens on a click, with the webhook
	// form and the feeds; closed, its form is not shown.
	sub, err := chromedp.Run(bctx, chromedp.Evaluate[subscribeFacts](openSubscribe))
	if err != nil {
		t.Fatal(err)
	}
	if !sub.InHeader || sub.ShownBefore || !sub.ShownAfter || !sub.Feeds {
		t.Errorf("subscribe control: %+v, want in the header, hidden until opened, then the form and the feeds", sub)
	}
	checkPageA11y(t, bctx, axe, "/status with the subscribe control open")

	// The incident page: its duration so far, and what each update changed.
	navigate(t, bctx, s.url+"/status/incidents/"+in.ID)
	inc, err := chromedp.Run(bctx, chromedp.Evaluate[incidentPageFacts](readIncidentPage))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(inc.Duration, "so far") || len(inc.Changes) != 2 || len(inc.Changes[1]) != 1 ||
		inc.Changes[1][0] != "Checkout: Operational → Partial outage" || len(inc.Changes[0]) != 0 {
		t.Errorf("incident page: %+v, want a running duration and the first update's change of Checkout", inc)
	}
	checkPageA11y(t, bctx, axe, "incident page")

	// The embed: refreshed by its script only, its icon in its state's
	// colour (the text keeps the page's).
	navigate(t, bctx, s.url+"/status/embed")
	emb, err := chromedp.Run(bctx, chromedp.Evaluate[embedFacts](readEmbed))
	if err != nil {
		t.Fatal(err)
	}
	if emb.MetaRefresh || !emb.Script || emb.Icon == emb.Text || emb.Icon != "rgb(149, 56, 0)" {
		t.Errorf("embed: %+v, want no meta refresh, its script, and the icon in the partial outage colour rgb(149, 56, 0)", emb)
	}
	checkPageA11y(t, bctx, axe, "/status/embed")

	// 2. JavaScript off: the page is complete without it.
	disabled := func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(bctx, disabled); err != nil {
		t.Fatalf("disabling JavaScript: %v", err)
	}
	noJS := load("without JavaScript")
	if off, err := chromedp.Run(bctx, chromedp.Evaluate[bool](scriptingOff)); err != nil || !off {
		t.Fatalf("JavaScript is still on in the page (scripting off: %v, %v)", off, err)
	}
	check("without JavaScript", noJS)
	if sub, err := chromedp.Run(bctx, chromedp.Evaluate[subscribeFacts](openSubscribe)); err != nil || !sub.ShownAfter {
		t.Errorf("without JavaScript the subscribe control does not open: %+v %v", sub, err)
	}
	if noJS.Banner != desktop.Banner || len(noJS.Components) != len(desktop.Components) || len(noJS.Incidents) != len(desktop.Incidents) {
		t.Errorf("without JavaScript the page differs: %+v vs %+v", noJS, desktop)
	}
	enabled := func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(bctx, enabled); err != nil {
		t.Fatal(err)
	}

	// 3. A 375 px wide phone: nothing scrolls sideways.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(375, 800, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatalf("emulating a phone: %v", err)
	}
	mobile := load("mobile 375x800")
	check("mobile 375x800", mobile)
	of, err := chromedp.Run(bctx, chromedp.Evaluate[overflowFacts](overflow))
	if err != nil {
		t.Fatal(err)
	}
	if of.ClientWidth != 375 || of.ScrollWidth > of.ClientWidth {
		t.Errorf("mobile 375x800: the page is %d px wide in a %d px viewport (want ≤ 375 in 375); sticking out: %v",
			of.ScrollWidth, of.ClientWidth, of.Offenders)
	}
	// The bars show the last 30 days as cells at least 24 px square; a tap
	// opens a day's text.
	days, err := chromedp.Run(bctx, chromedp.Evaluate[narrowDayFacts](readNarrowDays))
	if err != nil {
		t.Fatal(err)
	}
	if days.Wide != 0 || days.Rows < 2 || days.Cells != 30*days.Rows || days.Smallest < 24 || !strings.Contains(days.Tip, "(today): ") || !days.TipShown {
		t.Errorf("mobile day cells: %+v, want 30 a row, none under 24 px, the 90-day bars hidden, and a tap opening today's text", days)
	}
	of, err = chromedp.Run(bctx, chromedp.Evaluate[overflowFacts](overflow))
	if err != nil {
		t.Fatal(err)
	}
	if of.ScrollWidth > of.ClientWidth {
		t.Errorf("mobile with a day open: %d px wide in %d; sticking out: %v", of.ScrollWidth, of.ClientWidth, of.Offenders)
	}
	screenshot("status-mobile.png")
	checkPageA11y(t, bctx, axe, "/status (mobile)")

	// Late console messages (the deferred script, the icon) come before the
	// page has finished loading; a round trip after that orders them before
	// the console stops.
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.readyState === "complete"`)); err != nil {
		t.Fatal(err)
	}
	if p := consoleProblems(); len(p) > 0 {
		t.Errorf("the browser reported JavaScript or loading errors:\n  %s", strings.Join(p, "\n  "))
	}
}

// checkPageA11y runs axe-core over the loaded page in light and dark
// mode: no critical or serious violation (the status page and the
// dashboard alike).
func checkPageA11y(t *testing.T, ctx context.Context, axe, page string) {
	t.Helper()
	if axe == "" {
		return
	}
	for _, scheme := range []string{"light", "dark"} {
		media := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, media); err != nil {
			t.Fatalf("emulating %s mode: %v", scheme, err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`typeof axe === "object" || (() => { `+axe+"\n})()")); err != nil {
			t.Fatalf("%s: loading axe-core: %v", page, err)
		}
		found, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](runAxe, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: running axe-core: %v", page, err)
		}
		for _, v := range found {
			t.Errorf("%s (%s mode): axe %s %s: %s\n    %s", page, scheme, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "\n    "))
		}
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}
}

// navigate loads url in the tab and waits for its body.
func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(url))
	if err != nil || resp.Status != 200 {
		t.Fatalf("loading %s: %v (%v)", url, err, resp)
	}
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatal(err)
	}
}

type subscribeFacts struct {
	InHeader    bool `json:"inHeader"`
	ShownBefore bool `json:"shownBefore"`
	ShownAfter  bool `json:"shownAfter"`
	Feeds       bool `json:"feeds"`
}

// openSubscribe opens the header's subscribe control as a click does and
// reports whether its webhook field shows before and after.
const openSubscribe = `(() => {
  const menu = document.querySelector("header .subscribe-menu");
  const field = document.getElementById("subscribe-url");
  // checkVisibility: a closed <details> hides its content by content-visibility, which boxes alone do not show
  const shown = () => !!field && field.checkVisibility() && field.getBoundingClientRect().height > 0;
  const before = shown();
  if (menu && !menu.open) menu.querySelector("summary").click();
  const after = shown();
  const feeds = !!menu && !!menu.querySelector('a[href="/status/history.atom"]') && !!menu.querySelector('a[href="/status/history.rss"]');
  if (menu) menu.open = false;
  return {inHeader: !!menu, shownBefore: before, shownAfter: after, feeds: feeds};
})()`

type incidentPageFacts struct {
	Duration string     `json:"duration"`
	Changes  [][]string `json:"changes"` // per update, newest first
}

const readIncidentPage = `(() => {
  let duration = "";
  for (const div of document.querySelectorAll(".summary div")) {
    if (div.querySelector("dt").textContent === "Duration") duration = div.querySelector("dd").textContent;
  }
  const changes = [...document.querySelectorAll(".timeline > li")].map((li) =>
    [...li.querySelectorAll(".changes li")].map((c) => c.textContent));
  return {duration: duration, changes: changes};
})()`

type embedFacts struct {
	MetaRefresh bool   `json:"metaRefresh"`
	Script      bool   `json:"script"`
	Icon        string `json:"icon"`
	Text        string `json:"text"`
}

const readEmbed = `(() => ({
  metaRefresh: !!document.querySelector("meta[http-equiv]"),
  script: !!document.querySelector('script[src^="/status/assets/refresh."][data-swap]'),
  icon: getComputedStyle(document.querySelector("a.w .icon")).color,
  text: getComputedStyle(document.querySelector("a.w .t")).color,
}))()`

type narrowDayFacts struct {
	Wide     int     `json:"wide"` // 90-day bars shown
	Rows     int     `json:"rows"` // 30-day grids shown
	Cells    int     `json:"cells"`
	Smallest float64 `json:"smallest"` // the smallest cell side, px
	Tip      string  `json:"tip"`
	TipShown bool    `json:"tipShown"`
}

// readNarrowDays measures the shown day cells and taps the first grid's
// last (today's) cell.
const readNarrowDays = `(() => {
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const wide = [...document.querySelectorAll("svg.bar")].filter(shown).length;
  const grids = [...document.querySelectorAll("ol.recent")].filter(shown);
  let cells = 0, smallest = 1e9;
  for (const g of grids) {
    for (const s of g.querySelectorAll("summary")) {
      if (!shown(s)) continue;
      cells++;
      const r = s.getBoundingClientRect();
      smallest = Math.min(smallest, r.width, r.height);
    }
  }
  let tip = "", tipShown = false;
  if (grids.length) {
    const last = [...grids[0].querySelectorAll("summary")].pop();
    last.click();
    const t = last.querySelector(".tip");
    tip = t.textContent;
    tipShown = t.getBoundingClientRect().width > 100;
  }
  return {wide: wide, rows: grids.length, cells: cells, smallest: smallest, tip: tip, tipShown: tipShown};
})()`
