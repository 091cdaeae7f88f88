package storagetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// batchTests are the batch reads of pages that show many links at once.
func batchTests() []struct {
	name string
	fn   func(t *testing.T, s Store)
} {
	return []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"SearchLinks", testSearchLinks},
		{"LatestFor", testLatestFor},
		{"RollupsFor", testRollupsFor},
		{"ScanSeries", testScanSeries},
	}
}

func testSearchLinks(t *testing.T, s Store) {
	for _, l := range []*linkwatch.Link{
		newLink("", "Spring-Sale", "spring", "print"),
		newLink("", "summer", "summer"),
		newLink("go.example.org", "winter", "print"),
		newLink("", "autumn_50%"),
	} {
		create(t, s, l)
	}
	if _, err := s.UpdateLink(t.Context(), "", "summer", func(l *linkwatch.Link) error {
		l.Destination = "https://shop.example.net/Summer?Sale=1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		q     linkwatch.LinkSearch
		want  []string
		total int
	}{
		{"all, newest first", linkwatch.LinkSearch{}, []string{"autumn_50%", "winter", "summer", "Spring-Sale"}, 4},
		{"slug, any case", linkwatch.LinkSearch{Query: "SPRING"}, []string{"Spring-Sale"}, 1},
		{"destination, any case", linkwatch.LinkSearch{Query: "sale=1"}, []string{"summer"}, 1},
		{"slug or destination", linkwatch.LinkSearch{Query: "sale"}, []string{"summer", "Spring-Sale"}, 2},
		{"% and _ are plain characters", linkwatch.LinkSearch{Query: "_50%"}, []string{"autumn_50%"}, 1},
		{"a lone % matches no more", linkwatch.LinkSearch{Query: "%"}, []string{"autumn_50%"}, 1},
		{"no match", linkwatch.LinkSearch{Query: "nothing"}, []string{}, 0},
		{"tag", linkwatch.LinkSearch{Tag: "print"}, []string{"winter", "Spring-Sale"}, 2},
		{"tag and query", linkwatch.LinkSearch{Tag: "print", Query: "wint"}, []string{"winter"}, 1},
		{"tag is exact", linkwatch.LinkSearch{Tag: "prin"}, []string{}, 0},
		{"first page", linkwatch.LinkSearch{Limit: 3}, []string{"autumn_50%", "winter", "summer"}, 4},
		{"second page", linkwatch.LinkSearch{Offset: 3, Limit: 3}, []string{"Spring-Sale"}, 4},
		{"past the end", linkwatch.LinkSearch{Offset: 10, Limit: 3}, []string{}, 4},
		{"offset without limit", linkwatch.LinkSearch{Offset: 1}, []string{"winter", "summer", "Spring-Sale"}, 4},
	}
	for _, tt := range tests {
		links, total, err := s.SearchLinks(t.Context(), tt.q)
		if err != nil {
			t.Errorf("%s: SearchLinks(%+v): %v", tt.name, tt.q, err)
			continue
		}
		if got := slugs(links); !reflect.DeepEqual(got, tt.want) || total != tt.total {
			t.Errorf("%s: SearchLinks(%+v) = %q, %d in all; want %q, %d", tt.name, tt.q, got, total, tt.want, tt.total)
		}
	}
	links, _, err := s.SearchLinks(t.Context(), linkwatch.LinkSearch{Query: "winter"})
	if err != nil || len(links) != 1 {
		t.Fatalf("SearchLinks(winter) = %v, %v", links, err)
	}
	got, err := s.LinkBySlug(t.Context(), "go.example.org", "winter")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(links[0], got) {
		t.Errorf("SearchLinks returned\n %+v\nLinkBySlug\n %+v", links[0], got)
	}
}

func testLatestFor(t *testing.T, s Store) {
	link2 := linkwatch.Target{Kind: linkwatch.KindLink, ID: 2}
	link3 := linkwatch.Target{Kind: linkwatch.KindLink, ID: 3}
	fb1 := linkwatch.Target{Kind: linkwatch.KindFallback, ID: 1}
	mon1 := linkwatch.Target{Kind: linkwatch.KindMonitor, ID: 1}
	at := noon()
	insertResults(t, s, []linkwatch.Result{
		result(link1, "us", at), failing(link1, "eu", at), failing(link1, "eu", at.Add(time.Minute)),
		result(link2, "eu", at), result(link3, "eu", at), result(fb1, "eu", at), result(mon1, "eu", at),
	})
	got, err := s.LatestFor(t.Context(), []linkwatch.Target{link2, mon1, link1, fb1, link1, {Kind: linkwatch.KindLink, ID: 99}})
	if err != nil {
		t.Fatal(err)
	}
	want := []linkwatch.Latest{
		{Result: storedResult(result(fb1, "eu", at))},
		{Result: storedResult(failing(link1, "eu", at.Add(time.Minute))), Failures: 2},
		{Result: storedResult(result(link1, "us", at))},
		{Result: storedResult(result(link2, "eu", at))},
		{Result: storedResult(result(mon1, "eu", at))},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LatestFor =\n %+v\nwant\n %+v", got, want)
	}
	if got, err := s.LatestFor(t.Context(), nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("LatestFor(nil) = %#v, %v; want an empty, non-nil list", got, err)
	}
}

func testRollupsFor(t *testing.T, s Store) {
	link2 := linkwatch.Target{Kind: linkwatch.KindLink, ID: 2}
	link3 := linkwatch.Target{Kind: linkwatch.KindLink, ID: 3}
	var batch []linkwatch.Result
	for i := range 5 {
		at := noon().Add(time.Duration(i) * 30 * time.Minute)
		batch = append(batch, result(link1, "us", at), failing(link1, "eu", at), result(link2, "eu", at), result(link3, "eu", at))
	}
	insertResults(t, s, batch)
	from, to := noon().Add(time.Hour), noon().Add(3*time.Hour)
	got, err := s.RollupsFor(t.Context(), []linkwatch.Target{link2, link1}, linkwatch.Hourly, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var want []linkwatch.Rollup
	for _, tg := range []linkwatch.Target{link1, link2} {
		for _, r := range rollups(t, s, tg, linkwatch.Hourly) {
			if !r.Start.Before(from) && r.Start.Before(to) {
				want = append(want, r)
			}
		}
	}
	if len(want) != 6 { // link 1: 13:00 and 14:00 from two regions; link 2: both hours
		t.Fatalf("%d rollups to expect, the test means 6", len(want))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RollupsFor =\n %+v\nwant\n %+v", got, want)
	}
	daily, err := s.RollupsFor(t.Context(), []linkwatch.Target{link3}, linkwatch.Daily, beginning, end)
	if err != nil || len(daily) != 1 || daily[0].Checks != 5 || daily[0].Resolution != linkwatch.Daily {
		t.Errorf("RollupsFor(link 3, daily) = %+v, %v; want one day of 5 checks", daily, err)
	}
	if _, err := s.RollupsFor(t.Context(), []linkwatch.Target{link1}, time.Minute, from, to); linkwatch.ErrorCode(err) != linkwatch.EINVALID {
		t.Errorf("RollupsFor by the minute: %v, want EINVALID", err)
	}
}

func testScanSeries(t *testing.T, s Store) {
	a := create(t, s, newLink("", "a"))
	b := create(t, s, newLink("", "b"))
	c := create(t, s, newLink("", "c"))
	day := time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)
	insert(t, s, []linkwatch.Scan{
		{LinkID: a.ID, At: day.Add(-time.Hour), Source: linkwatch.SourceQR},                  // the day before
		{LinkID: a.ID, At: day.Add(time.Hour), Source: linkwatch.SourceQR, Count: 3},         // day 1
		{LinkID: a.ID, At: day.Add(2 * time.Hour), Source: linkwatch.SourceLink},             // day 1
		{LinkID: a.ID, At: day.Add(3 * time.Hour), Source: linkwatch.SourceLink, Bot: true},  // a bot: left out
		{LinkID: a.ID, At: day.Add(26 * time.Hour), Source: linkwatch.SourceLink, Count: 2},  // day 2
		{LinkID: b.ID, At: day.Add(25 * time.Hour), Source: linkwatch.SourceQR},              // day 2
		{LinkID: b.ID, At: day.Add(48 * time.Hour), Source: linkwatch.SourceQR},              // at to: left out
		{LinkID: c.ID, At: day.Add(time.Hour), Source: linkwatch.SourceLink},                 // not asked for
		{LinkID: a.ID, At: day.Add(-10 * time.Minute), Source: linkwatch.SourceQR, Count: 5}, // before from
	})
	got, err := s.ScanSeries(t.Context(), []int64{a.ID, b.ID}, day, day.Add(48*time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64][]linkwatch.SourceScans{
		a.ID: {{T: day, QR: 3, Link: 1}, {T: day.Add(24 * time.Hour), Link: 2}},
		b.ID: {{T: day.Add(24 * time.Hour), QR: 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ScanSeries by day = %+v, want %+v", got, want)
	}
	got, err = s.ScanSeries(t.Context(), []int64{a.ID}, day, day.Add(3*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want = map[int64][]linkwatch.SourceScans{a.ID: {{T: day.Add(time.Hour), QR: 3}, {T: day.Add(2 * time.Hour), Link: 1}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ScanSeries by hour = %+v, want %+v", got, want)
	}
	if got, err := s.ScanSeries(t.Context(), nil, day, day.Add(time.Hour), time.Hour); err != nil || got == nil || len(got) != 0 {
		t.Errorf("ScanSeries(no links) = %#v, %v; want an empty, non-nil map", got, err)
	}
	if _, err := s.ScanSeries(t.Context(), []int64{a.ID}, day, day.Add(time.Hour), 0); linkwatch.ErrorCode(err) != linkwatch.EINVALID {
		t.Errorf("ScanSeries with no bucket: %v, want EINVALID", err)
	}
}
