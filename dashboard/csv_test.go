package dashboard

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		rows []csvRow
		errs []rowError
	}{
		{
			name: "every column, any order, a BOM and blank lines",
			in: "\ufeffDestination,slug,tags,redirect_code,check_interval,expires_at,fallback_url,domain,failover\n" +
				"https://example.com/a,spring,\"spring print\",301,90,2030-01-02T03:04:05Z,https://example.com/b,go.brand.com,off\n" +
				",,,,,,,,\n" +
				"https://example.com/c,,,,5m,,,,\n",
			rows: []csvRow{
				{Line: 2, Req: linkRequest{Slug: "spring", Destination: "https://example.com/a", Tags: []string{"spring", "print"},
					RedirectCode: 301, CheckInterval: int64(90), ExpiresAt: "2030-01-02T03:04:05Z",
					FallbackURL: "https://example.com/b", Domain: "go.brand.com", Failover: "off"}},
				{Line: 4, Req: linkRequest{Destination: "https://example.com/c", CheckInterval: "5m"}},
			},
		},
		{
			name: "tags separated by commas or semicolons",
			in:   "destination,tags\nhttps://example.com/,\"a,b; c\"\n",
			rows: []csvRow{{Line: 2, Req: linkRequest{Destination: "https://example.com/", Tags: []string{"a", "b", "c"}}}},
		},
		{
			name: "a bad redirect code and a short row are both reported",
			in:   "destination,redirect_code\nhttps://example.com/,abc\nhttps://example.com/\nhttps://example.com/,302\n",
			rows: []csvRow{{Line: 4, Req: linkRequest{Destination: "https://example.com/", RedirectCode: 302}}},
			errs: []rowError{
				{Line: 2, Field: "redirect_code", Reason: "redirect_code must be a number: 301, 302, 307 or 308"},
				{Line: 3, Reason: "the row does not have as many cells as the header has columns"},
			},
		},
		{
			name: "a multi-line quoted cell counts its lines",
			in:   "slug,destination\n\"a\nb\",https://example.com/\nc,https://example.com/\n",
			rows: []csvRow{
				{Line: 2, Req: linkRequest{Slug: "a\nb", Destination: "https://example.com/"}},
				{Line: 4, Req: linkRequest{Slug: "c", Destination: "https://example.com/"}},
			},
		},
		{name: "empty", in: "", errs: []rowError{{Line: 1, Reason: "the file is empty: the first line must name the columns (slug,destination,fallback_url,tags,redirect_code,expires_at,check_interval,domain,failover)"}}},
		{name: "header only", in: "slug,destination\n", errs: []rowError{{Line: 2, Reason: "the file has no rows below its header"}}},
		{name: "unknown column", in: "slug,url\n", errs: []rowError{{Line: 1, Reason: `unknown column "url": the columns are slug, destination, fallback_url, tags, redirect_code, expires_at, check_interval, domain, failover`}}},
		{name: "no destination", in: "slug\n", errs: []rowError{{Line: 1, Reason: "the header has no destination column"}}},
		{name: "column twice", in: "slug,destination,SLUG\n", errs: []rowError{{Line: 1, Reason: `column "slug" is named twice`}}},
		{
			name: "a misplaced quote stops the file at its line",
			in:   "slug,destination\na,https://example.com/\nb\"x,https://example.com/\nc,https://example.com/\n",
			rows: []csvRow{{Line: 2, Req: linkRequest{Slug: "a", Destination: "https://example.com/"}}},
			errs: []rowError{{Line: 3, Reason: "a quote is misplaced: quote a whole cell, and double quotes inside it"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, errs := parseCSV(strings.NewReader(tt.in), 10)
			if !reflect.DeepEqual(rows, tt.rows) {
				t.Errorf("rows =\n%+v\nwant\n%+v", rows, tt.rows)
			}
			if !reflect.DeepEqual(errs, tt.errs) {
				t.Errorf("errors =\n%+v\nwant\n%+v", errs, tt.errs)
			}
		})
	}
}

func TestParseCSVBoundsRows(t *testing.T) {
	in := "destination\n" + strings.Repeat("https://example.com/\n", 4)
	rows, errs := parseCSV(strings.NewReader(in), 3)
	want := []rowError{{Line: 5, Reason: "the file has more than 3 rows: split it"}}
	if len(rows) != 3 || !reflect.DeepEqual(errs, want) {
		t.Errorf("got %d rows, errors %+v; want 3 rows and %+v", len(rows), errs, want)
	}
}

// TestWriteCSVReadsBack: what an export writes, an import reads as the
// same links (the API then fills the same defaults).
func TestWriteCSVReadsBack(t *testing.T) {
	links := []*linkwatch.Link{
		{Slug: "spring", Destination: "https://example.com/a?x=1,2", FallbackURL: "https://example.com/b", Tags: []string{"spring", "print"},
			RedirectCode: 301, ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 6e6, time.UTC), CheckInterval: 90 * time.Second,
			Domain: "go.brand.com", Failover: linkwatch.FailoverOff},
		{Slug: "plain", Destination: "https://example.com/\"q\"", Tags: []string{}, RedirectCode: 302, CheckInterval: time.Minute,
			Failover: linkwatch.FailoverFallback},
	}
	var buf bytes.Buffer
	if err := writeCSV(&buf, links); err != nil {
		t.Fatal(err)
	}
	rows, errs := parseCSV(&buf, 10)
	if len(errs) > 0 {
		t.Fatalf("errors reading an export back: %+v", errs)
	}
	want := []linkRequest{
		{Slug: "spring", Destination: "https://example.com/a?x=1,2", FallbackURL: "https://example.com/b", Tags: []string{"spring", "print"},
			RedirectCode: 301, ExpiresAt: "2030-01-02T03:04:05.006Z", CheckInterval: "1m30s", Domain: "go.brand.com", Failover: "off"},
		{Slug: "plain", Destination: "https://example.com/\"q\"", RedirectCode: 302, CheckInterval: "1m0s", Failover: "auto"},
	}
	for i, r := range rows {
		if !reflect.DeepEqual(r.Req, want[i]) {
			t.Errorf("row %d = %+v, want %+v", i, r.Req, want[i])
		}
	}
	if len(rows) != len(want) {
		t.Errorf("read %d rows back, want %d", len(rows), len(want))
	}
}

// FuzzParseCSV: no input makes the parser panic, every error names a line
// of the file, and every row read has a destination column's place.
func FuzzParseCSV(f *testing.F) {
	f.Add("slug,destination\na,https://example.com/\n")
	f.Add("\ufeffdestination,tags,redirect_code\nhttps://x.example/,\"a b\",301\n\"\n")
	f.Add("destination\n\"a\"\"b\nc\"\n,,\n")
	f.Add("destination,check_interval\nx,90\ny,5m\nz\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, errs := parseCSV(strings.NewReader(in), 50)
		lines := strings.Count(in, "\n") + 2
		for _, e := range errs {
			if e.Line < 1 || e.Line > lines || e.Reason == "" {
				t.Fatalf("error %+v: line outside the file (%d lines) or no reason", e, lines)
			}
		}
		for _, r := range rows {
			if r.Line < 2 || r.Line > lines {
				t.Fatalf("row on line %d outside the file (%d lines)", r.Line, lines)
			}
		}
		if len(rows)+len(errs) > 51 {
			t.Fatalf("%d rows and errors from a bound of 50", len(rows)+len(errs))
		}
	})
}
