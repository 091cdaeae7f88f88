package dashboard

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// upload posts a CSV file to the import form.
func (b *browser) upload(csrf, name, content string) (int, string) {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest("POST", b.e.srv.URL+"/dashboard/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

func (e *frameEnv) slugs() []string {
	e.t.Helper()
	links, err := e.store.ListLinks(context.Background(), linkwatch.LinkFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, l := range links {
		out = append(out, linkName(l.Domain, l.Slug))
	}
	return out
}

func TestImport(t *testing.T) {
	e := newD3Env(t)
	e.addTagged("taken", "https://example.com/")
	b := e.browser()
	csrf := b.mustSignIn(e.admin)

	bad := "slug,destination,tags,redirect_code\n" +
		"good,https://example.com/good,spring,301\n" +
		"taken,https://example.com/x,,\n" + // line 3: slug taken
		"twice,https://example.com/1,,\n" +
		"twice,https://example.com/2,,\n" + // line 5: named twice
		"nourl,ftp://example.com/,,\n" + // line 6: invalid destination
		"code,https://example.com/,,abc\n" + // line 7: not a number
		"loop,https://lw.example.com/loop,,\n" // line 8: a cycle
	code, page := b.upload(csrf, "links.csv", bad)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad import: %d\n%s", code, page)
	}
	for _, want := range []string{"Nothing was imported: 5 rows must be fixed first.",
		`<td class="num">3</td><td class="mono">slug</td><td>slug is already taken</td>`,
		`<td class="num">5</td><td class="mono">slug</td><td>line 4 already creates twice</td>`,
		`<td class="num">6</td><td class="mono">destination</td>`,
		`<td class="num">7</td><td class="mono">redirect_code</td>`,
		`<td class="num">8</td><td class="mono">destination</td><td>destination leads back to loop`} {
		if !strings.Contains(page, want) {
			t.Errorf("import errors lack %q", want)
		}
	}
	if got := e.slugs(); !reflect.DeepEqual(got, []string{"taken"}) {
		t.Errorf("a refused import created links: %v", got)
	}

	good := "destination,slug,tags,expires_at,check_interval,domain\n" +
		"https://example.com/a,a,spring print,2030-01-01T00:00:00Z,90,\n" +
		"https://example.com/b,b,,,5m,go.brand.com\n"
	code, page = b.upload(csrf, "links.csv", good)
	if code != http.StatusOK || !strings.Contains(page, "2 links created") {
		t.Fatalf("good import: %d\n%s", code, page)
	}
	if got := e.slugs(); !reflect.DeepEqual(got, []string{"taken", "a", "go.brand.com/b"}) {
		t.Errorf("links after import: %v", got)
	}

	// Refused: no CSRF, a read session, a file too large.
	if code, _ := b.upload("", "links.csv", good); code != http.StatusForbidden {
		t.Errorf("import without CSRF: %d, want 403", code)
	}
	r := e.browser()
	if code, _ := r.upload(r.mustSignIn(e.read), "links.csv", "destination\nhttps://example.com/r\n"); code != http.StatusForbidden {
		t.Errorf("read session's import: %d, want 403", code)
	}
	big := "destination\n" + strings.Repeat("https://example.com/"+strings.Repeat("x", 100)+"\n", maxImportBytes/100)
	if code, page := b.upload(csrf, "big.csv", big); code != http.StatusUnprocessableEntity || !strings.Contains(page, "larger than 1024 KiB") {
		t.Errorf("too large an import: %d", code)
	}
}

// TestExportRoundTrip: an export imported into an empty store gives the
// same links.
func TestExportRoundTrip(t *testing.T) {
	e := newD3Env(t)
	ctx := context.Background()
	links := []*linkwatch.Link{
		{Slug: "spring", Destination: "https://example.com/a?x=1,2&y=\"q\"", FallbackURL: "https://example.com/b", Tags: []string{"spring", "print"},
			RedirectCode: 301, ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 6e6, time.UTC), CheckInterval: 90 * time.Second, Failover: linkwatch.FailoverOff},
		{Slug: "plain", Domain: "go.brand.com", Destination: "https://example.com/", CheckInterval: time.Hour},
	}
	for _, l := range links {
		l.ApplyDefaults()
		l.CreatedAt, l.UpdatedAt = e.clock.now(), e.clock.now()
		if err := e.store.CreateLink(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	b := e.browser()
	b.mustSignIn(e.read) // exporting is reading
	resp, err := b.c.Get(e.srv.URL + "/dashboard/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	file, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="linkwatch-links-2025-06-02.csv"` {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}

	other := newD3Env(t)
	ob := other.browser()
	if code, page := ob.upload(ob.mustSignIn(other.admin), "export.csv", string(file)); code != http.StatusOK {
		t.Fatalf("importing the export: %d\n%s", code, page)
	}
	for _, want := range links {
		got, err := other.store.LinkBySlug(ctx, want.Domain, want.Slug)
		if err != nil {
			t.Fatal(err)
		}
		same := func(l *linkwatch.Link) []any {
			return []any{l.Domain, l.Slug, l.Destination, l.FallbackURL, l.Tags, l.RedirectCode, l.ExpiresAt.UTC(), l.CheckInterval, l.Failover}
		}
		if !reflect.DeepEqual(same(got), same(want)) {
			t.Errorf("round trip:\n got %v\nwant %v", same(got), same(want))
		}
	}

	// One campaign's export has only its links.
	resp, _ = b.c.Get(e.srv.URL + "/dashboard/export.csv?tag=print")
	file, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(file), "plain") || !strings.Contains(string(file), "spring") {
		t.Errorf("campaign export:\n%s", file)
	}
}
