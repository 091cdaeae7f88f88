package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/qrcode"
)

// The dashboard in headless Chromium, end to end, with axe-core's
// accessibility rules on every page. axe-core comes from npm (.ci/run
// installs it): LINKWATCH_TEST_AXE names its axe.min.js. Without it the
// accessibility checks are skipped, unless LINKWATCH_TEST_BROWSER_REQUIRED=1,
// when the test fails.

// axeScript reads axe.min.js, or returns "" when the accessibility checks
// are to be skipped.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("LINKWATCH_TEST_AXE")
	if path == "" {
		const msg = "LINKWATCH_TEST_AXE is not set: install axe-core (`npm install --prefix /tmp/axe axe-core@4`) and set " +
			"LINKWATCH_TEST_AXE=/tmp/axe/node_modules/axe-core/axe.min.js to check the dashboard's accessibility"
		if os.Getenv("LINKWATCH_TEST_BROWSER_REQUIRED") == "1" {
			t.Fatal(msg + " (LINKWATCH_TEST_BROWSER_REQUIRED=1: the checks must run)")
		}
		t.Log("skipping the accessibility checks: " + msg)
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("LINKWATCH_TEST_AXE: %v", err)
	}
	return string(b)
}

// axeViolation is one rule axe-core found broken, with a few of the
// elements that break it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// runAxe runs axe-core over the document and returns the critical and
// serious violations.
const runAxe = `axe.run(document, {resultTypes: ["violations"]}).then((r) => r.violations
  .filter((v) => v.impact === "critical" || v.impact === "serious")
  .map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 6).map((n) => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " "))})))`

// rowState reads the links table: the overall state (in words) of the row
// whose slug is %q, or "" without one.
const rowState = `(() => {
  for (const a of document.querySelectorAll(".links-table a.slug")) {
    if (a.textContent.trim() === %q) {
      const st = a.closest("tr").querySelector("td .state");
      return st ? st.textContent.replace(/\s+/g, " ").trim() : "no state";
    }
  }
  return "";
})()`

// waitRowUp waits, fetching the links page every 200 ms inside the page,
// until the row of slug says Up.
const waitRowUp = `(async () => {
  for (;;) {
    const html = await (await fetch("/dashboard?q=" + encodeURIComponent(%q), {credentials: "same-origin"})).text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    for (const a of doc.querySelectorAll(".links-table a.slug")) {
      const st = a.textContent.trim() === %q && a.closest("tr").querySelector("td .state");
      if (st && /\bUp\b/.test(st.textContent)) return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
})()`

// waitAlert waits, fetching the alerts page every 200 ms inside the page,
// until an alert on the link %q is firing.
const waitAlert = `(async () => {
  for (;;) {
    const html = await (await fetch("/dashboard/alerts", {credentials: "same-origin"})).text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    const firing = doc.querySelector('ul[aria-labelledby="firing"]');
    if (firing && firing.textContent.includes(%q)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
})()`

// downloadQR submits the link page's QR form (PNG) with fetch, so with the
// session's cookie, and returns the status, type and base64 body.
const downloadQR = `(async () => {
  const form = document.querySelector("#qr-h").closest("section").querySelector("form");
  const url = new URL(form.action);
  for (const [k, v] of new FormData(form)) url.searchParams.set(k, v);
  const r = await fetch(url, {credentials: "same-origin"});
  const bytes = new Uint8Array(await r.arrayBuffer());
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return {status: r.status, type: r.headers.get("Content-Type") || "", disposition: r.headers.get("Content-Disposition") || "", body: btoa(bin)};
})()`

type qrDownloadFacts struct {
	Status      int    `json:"status"`
	Type        string `json:"type"`
	Disposition string `json:"disposition"`
	Body        string `json:"body"`
}

// TestBrowserDashboard walks the dashboard in Chromium as a person would:
// sign in with the admin token, create a link with the new-link form, see
// it up, download its QR code and decode it, edit it, pin it to its
// fallback, import a CSV with a bad row, and share its campaign with a
// browser that has no session. Every page passes axe-core's critical and
// serious rules in light and dark mode; screenshots at 1280 and 360 px.
func TestBrowserDashboard(t *testing.T) {
	chromium := chromiumPath(t)
	axe := axeScript(t)
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/broken") {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "<html>spring sale</html>")
	}))
	defer dest.Close()
	addr := freeAddr(t)
	env := withFastLoops(map[string]string{"LINKWATCH_DB": filepath.Join(t.TempDir(), "d.db"), "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_REFRESH": "200ms",
		"LINKWATCH_LOG_LEVEL": "warn"})
	s := startAt(t, env, addr, "serve")
	bctx := startBrowser(t, chromium, 3*time.Minute)
	consoleProblems := watchConsole(t, bctx)
	dir := artifactDir(t)

	const (
		slug   = "spring-sale"
		tag    = "spring"
		broken = "spring-broken" // down, so pages show a down state and a firing alert
	)
	destination := dest.URL + "/landing"
	s.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":%q,"destination":%q,"tags":[%q],"check_interval":"1s"}`,
		broken, dest.URL+"/broken", tag), nil)

	// step runs actions, failing the test with what it was doing.
	step := func(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// submit clicks a form's button and waits for the page it leads to.
	submit := func(ctx context.Context, what, button string) {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button)))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.Status >= 500 {
			t.Fatalf("%s: the page answered %d", what, resp.Status)
		}
	}
	open := func(ctx context.Context, path string) {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(s.url+path))
		if err != nil {
			t.Fatalf("opening %s: %v", path, err)
		}
		if resp.Status != http.StatusOK {
			t.Fatalf("opening %s: %d", path, resp.Status)
		}
	}
	eval := func(ctx context.Context, js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluating %.60q: %v", js, err)
		}
		return v
	}
	text := func(ctx context.Context, css string) string {
		t.Helper()
		return eval(ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.textContent.replace(/\s+/g, " ").trim() : ""; })()`, css))
	}
	location := func(ctx context.Context) string {
		t.Helper()
		return eval(ctx, `location.pathname + location.search`)
	}

	// checkA11y runs axe-core over the page in light and dark mode.
	checkA11y := func(ctx context.Context, page string) {
		t.Helper()
		checkPageA11y(t, ctx, axe, page)
	}

	// screenshots saves the page at 1280 px and at 360 px, where it must
	// not scroll sideways (tables scroll inside their own box).
	screenshots := func(ctx context.Context, name string) {
		t.Helper()
		desktop := chromedp.EmulateViewport(1280, 900)
		step(ctx, "emulating a desktop", desktop)
		saveScreenshot(t, ctx, dir, "dashboard-"+name+"-desktop.png")
		step(ctx, "emulating a phone", chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		of, err := chromedp.Run(ctx, chromedp.Evaluate[overflowFacts](overflow))
		if err != nil {
			t.Fatal(err)
		}
		if of.ClientWidth != 360 || of.ScrollWidth > of.ClientWidth {
			t.Errorf("%s at 360 px: the page is %d px wide in a %d px viewport", name, of.ScrollWidth, of.ClientWidth)
		}
		saveScreenshot(t, ctx, dir, "dashboard-"+name+"-phone.png")
		step(ctx, "back to the desktop", desktop)
	}

	// 1. Sign in with the admin token.
	open(bctx, "/dashboard")
	if got := location(bctx); !strings.HasPrefix(got, "/dashboard/sign-in") {
		t.Fatalf("without a session /dashboard shows %s, want the sign-in page", got)
	}
	checkA11y(bctx, "sign-in")
	step(bctx, "typing the token", chromedp.SendKeys(chromedp.CSS("#token"), testAdminToken))
	submit(bctx, "signing in", `form[action="/dashboard/sign-in"] button[type="submit"]`)
	if got := location(bctx); got != "/dashboard" {
		t.Fatalf("after signing in the browser is at %s, want /dashboard", got)
	}

	// 2. Create a link with the new-link form: first with a destination
	// the API refuses, shown next to its field, then as it should be.
	open(bctx, "/dashboard/new")
	checkA11y(bctx, "new link")
	step(bctx, "filling the new-link form wrongly", chromedp.SetValue(chromedp.CSS("#destination"), "not a url"))
	submit(bctx, "creating a link without a URL", `form[action="/dashboard/new"] button[type="submit"]`)
	if msg := text(bctx, "#destination-error"); msg == "" {
		t.Errorf("a refused destination shows no error next to its field; the form reads %q", text(bctx, "form"))
	}
	checkA11y(bctx, "new link with an error")
	step(bctx, "filling the new-link form",
		chromedp.SetValue(chromedp.CSS("#slug"), slug),
		chromedp.SetValue(chromedp.CSS("#destination"), destination),
		chromedp.SetValue(chromedp.CSS("#tags"), tag),
		chromedp.SetValue(chromedp.CSS("#check_interval"), "1s"))
	submit(bctx, "creating the link", `form[action="/dashboard/new"] button[type="submit"]`)
	if got := location(bctx); !strings.HasPrefix(got, "/dashboard/links/"+slug) {
		t.Fatalf("after creating the link the browser is at %s (%s)", got, text(bctx, "main"))
	}

	// 3. Its row on the links page says Up once a prober has checked it.
	step(bctx, "waiting for the link to be up", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(waitRowUp, slug, slug), chromedp.EvalAwaitPromise)(ctx, tg)
		return err
	}))
	open(bctx, "/dashboard")
	if got := eval(bctx, fmt.Sprintf(rowState, slug)); got != "✓ Up" {
		t.Errorf("the links page shows %s as %q, want ✓ Up", slug, got)
	}
	checkA11y(bctx, "links")
	screenshots(bctx, "links")

	// 4. The link page's QR code: a PNG of the short URL with the QR marker.
	open(bctx, "/dashboard/links/"+slug)
	checkA11y(bctx, "link")
	qr, err := chromedp.Run(bctx, chromedp.Evaluate[qrDownloadFacts](downloadQR, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("downloading the QR code: %v", err)
	}
	if qr.Status != http.StatusOK || qr.Type != "image/png" || !strings.HasPrefix(qr.Disposition, "attachment") {
		t.Fatalf("QR download: %d %q %q", qr.Status, qr.Type, qr.Disposition)
	}
	png, err := base64.StdEncoding.DecodeString(qr.Body)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := qrcode.Decode(png)
	if err != nil {
		t.Fatalf("decoding the downloaded QR code: %v", err)
	}
	if want := "http://" + addr + "/" + slug + "?" + linkwatch.QRMarker + "=" + linkwatch.QRMarkerValue; decoded != want {
		t.Errorf("the QR code says %q, want %q", decoded, want)
	}

	// 5. Edit: a new destination, and a fallback.
	newDestination := dest.URL + "/landing-v2"
	fallback := dest.URL + "/fallback"
	step(bctx, "filling the edit form",
		chromedp.SetValue(chromedp.CSS("#f-destination"), newDestination),
		chromedp.SetValue(chromedp.CSS("#f-fallback_url"), fallback))
	submit(bctx, "saving the edit", `form.edit-form button[type="submit"]`)
	if facts := text(bctx, "dl.facts"); !strings.Contains(facts, newDestination) || !strings.Contains(facts, fallback) {
		t.Fatalf("after the edit the link's facts read %q, want %s and %s", facts, newDestination, fallback)
	}

	// 6. Pin failover to the fallback: the page says it serves the fallback.
	step(bctx, "choosing the fallback pin", chromedp.SetValue(chromedp.CSS("#mode"), "fallback"))
	submit(bctx, "pinning the fallback", `form[action$="/failover"] button[type="submit"]`)
	serving := eval(bctx, `(() => { for (const dt of document.querySelectorAll("dl.facts dt")) if (dt.textContent.trim() === "Serving") return dt.nextElementSibling.textContent.replace(/\s+/g, " ").trim(); return ""; })()`)
	if !strings.Contains(serving, "Serving fallback") || !strings.Contains(serving, "pinned") {
		t.Errorf("after pinning the fallback the page says it serves %q", serving)
	}
	waitUntil(t, 10*time.Second, func() bool { return s.location("/"+slug) == fallback })
	screenshots(bctx, "link")

	// 7. A CSV with one bad row: the page lists its line and reason, and
	// nothing is imported.
	open(bctx, "/dashboard/import-export")
	checkA11y(bctx, "import-export")
	csvFile := filepath.Join(t.TempDir(), "links.csv")
	csv := "slug,destination,tags\nimport-good," + dest.URL + "/ok," + tag + "\nimport-bad,not a url," + tag + "\n"
	if err := os.WriteFile(csvFile, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	step(bctx, "choosing the CSV", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{csvFile}))
	submit(bctx, "importing", `form[action="/dashboard/import"] button[type="submit"]`)
	type rowFix struct{ Line, Field, Reason string }
	fixes, err := chromedp.Run(bctx, chromedp.Evaluate[[]rowFix](`[...document.querySelectorAll("table tbody tr")].map((tr) => {
  const c = tr.querySelectorAll("td"); return {Line: c[0].textContent.trim(), Field: c[1].textContent.trim(), Reason: c[2].textContent.trim()}; })`))
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) != 1 || fixes[0].Line != "3" || fixes[0].Field != "destination" || fixes[0].Reason == "" {
		t.Errorf("rows to fix %+v, want line 3's destination with a reason", fixes)
	}
	checkA11y(bctx, "import-export with errors")
	for _, sl := range []string{"import-good", "import-bad"} {
		if resp, _ := s.get("/api/v1/links/"+sl, "Authorization", "Bearer "+testAdminToken); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /api/v1/links/%s after the refused import: %d, want 404", sl, resp.StatusCode)
		}
	}

	// 8. Campaigns, alerts, and the campaign shared with a browser that has
	// no session.
	open(bctx, "/dashboard/campaigns")
	checkA11y(bctx, "campaigns")
	step(bctx, "waiting for the broken link's alert", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(waitAlert, broken), chromedp.EvalAwaitPromise)(ctx, tg)
		return err
	}))
	open(bctx, "/dashboard/alerts")
	if firing := text(bctx, `ul[aria-labelledby="firing"]`); !strings.Contains(firing, broken) {
		t.Errorf("the alerts page's firing list reads %q, want the alert on %s", firing, broken)
	}
	checkA11y(bctx, "alerts")
	open(bctx, "/dashboard/campaigns/"+tag)
	checkA11y(bctx, "campaign")
	submit(bctx, "creating a share link", `form[action$="/share"] button[type="submit"]`)
	shareURL, err := chromedp.Run(bctx, chromedp.Value(chromedp.CSS("#share-url")))
	if err != nil {
		t.Fatalf("reading the share link: %v", err)
	}
	if !strings.HasPrefix(shareURL, "http://"+addr+"/dashboard/share/"+tag+"?") {
		t.Fatalf("share link %q", shareURL)
	}
	checkA11y(bctx, "campaign with its share link")
	screenshots(bctx, "campaign")

	stranger, cancelStranger := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer cancelStranger()
	resp, err := chromedp.RunResponse(stranger, chromedp.Navigate(shareURL))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("opening the share link without a session: %v %+v", err, resp)
	}
	if h := text(stranger, "h1"); h != "Campaign "+tag {
		t.Errorf("the share page's heading is %q", h)
	}
	if table := text(stranger, "table"); !strings.Contains(table, slug) || !strings.Contains(table, "Serving fallback") {
		t.Errorf("the share page's links table reads %q, want %s serving its fallback", table, slug)
	}
	if n := eval(stranger, `String(document.querySelectorAll('a[href^="/dashboard/links"], form[action="/dashboard/sign-out"]').length)`); n != "0" {
		t.Errorf("the share page offers %s links into the dashboard or a sign-out form", n)
	}
	checkA11y(stranger, "share")
	open(stranger, "/dashboard")
	if got := location(stranger); !strings.HasPrefix(got, "/dashboard/sign-in") {
		t.Errorf("the share link's browser reached %s, want the sign-in page", got)
	}

	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.readyState === "complete"`)); err != nil {
		t.Fatal(err)
	}
	// The refused new link and import answer 422 on purpose; the browser
	// logs that.
	var problems []string
	for _, p := range consoleProblems() {
		expected := strings.Contains(p, "status of 422") &&
			(strings.Contains(p, "/dashboard/new:") || strings.Contains(p, "/dashboard/import:"))
		if !expected {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		t.Errorf("the browser reported JavaScript or loading errors:\n  %s", strings.Join(problems, "\n  "))
	}
}
