package dashboard

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func TestRecentChecks(t *testing.T) {
	since := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	classes := func(byClass map[string]int64) []int64 {
		c := make([]int64, len(linkwatch.ErrorClasses))
		for class, n := range byClass {
			c[slices.Index(linkwatch.ErrorClasses, class)] = n
		}
		return c
	}
	hour := func(region string, h int, checks, failures, degraded int64, byClass map[string]int64) linkwatch.Rollup {
		return linkwatch.Rollup{Region: region, Start: since.Add(time.Duration(h) * time.Hour), Resolution: linkwatch.Hourly,
			Checks: checks, Failures: failures, Degraded: degraded, Classes: classes(byClass)}
	}
	tests := []struct {
		name    string
		rollups []linkwatch.Rollup
		want    []regionChecks
	}{
		{"none", nil, nil},
		{"classes summed per region, regions in order", []linkwatch.Rollup{
			hour("us", 0, 60, 3, 1, map[string]int64{linkwatch.ClassTimeout: 3}),
			hour("eu", 0, 60, 12, 0, map[string]int64{linkwatch.ClassHTTPStatus: 12}),
			hour("us", 1, 60, 0, 2, nil),
			hour("eu", 1, 60, 3, 0, map[string]int64{linkwatch.ClassTimeout: 2, linkwatch.ClassDNS: 1}),
		}, []regionChecks{
			{Region: "eu", Checks: 120, Failures: 15, Classes: []linkwatch.ClassCount{
				{Class: linkwatch.ClassDNS, Count: 1}, {Class: linkwatch.ClassTimeout, Count: 2}, {Class: linkwatch.ClassHTTPStatus, Count: 12}}},
			{Region: "us", Checks: 120, Failures: 3, Degraded: 3, Classes: []linkwatch.ClassCount{{Class: linkwatch.ClassTimeout, Count: 3}}},
		}},
		{"hours before since and other resolutions left out", []linkwatch.Rollup{
			hour("eu", -1, 60, 60, 0, map[string]int64{linkwatch.ClassTLS: 60}),
			{Region: "eu", Start: since, Resolution: linkwatch.Daily, Checks: 1440, Failures: 60, Classes: classes(map[string]int64{linkwatch.ClassTLS: 60})},
			hour("eu", 0, 60, 1, 0, map[string]int64{linkwatch.ClassQR: 1}),
		}, []regionChecks{
			{Region: "eu", Checks: 60, Failures: 1, Classes: []linkwatch.ClassCount{{Class: linkwatch.ClassQR, Count: 1}}},
		}},
		{"failures of rollups stored before classes are unclassified", []linkwatch.Rollup{
			hour("eu", 0, 60, 4, 0, nil),
			hour("eu", 1, 60, 2, 0, map[string]int64{linkwatch.ClassConnect: 2}),
		}, []regionChecks{
			{Region: "eu", Checks: 120, Failures: 6, Classes: []linkwatch.ClassCount{{Class: linkwatch.ClassConnect, Count: 2}}, Unclassified: 4},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := recentChecks(tt.rollups, since); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("recentChecks =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

// TestLinkPageRecentChecksByClass reads the recent checks block of a link
// page over stored results: each region's failures by class come from the
// rollups the results were counted into.
func TestLinkPageRecentChecksByClass(t *testing.T) {
	e := newLinksEnv(t)
	l := e.addLink("spring", "https://shop.example.com/spring")
	for i := range 3 {
		e.check(l, "eu", time.Duration(10+i)*time.Minute, linkwatch.ClassHTTPStatus, 503)
	}
	e.check(l, "eu", 5*time.Minute, linkwatch.ClassTimeout, 0)
	e.check(l, "eu", 2*time.Hour, "", 200)
	e.check(l, "us", time.Minute, "", 200)
	e.check(l, "ap", 30*time.Hour, linkwatch.ClassDNS, 0) // before the last 24 hours

	b := e.browser()
	b.mustSignIn(e.read)
	for _, by := range []string{"", "?by=day"} { // by day, the page reads the hourly rollups apart
		code, _, page := b.get("/dashboard/links/spring" + by)
		if code != http.StatusOK {
			t.Fatalf("GET link page%s: %d\n%s", by, code, page)
		}
		i := strings.Index(page, `id="recent-h"`)
		j := strings.Index(page, `id="alerts-h"`)
		if i < 0 || j < i {
			t.Fatalf("link page%s has no recent checks block", by)
		}
		block := page[i:j]
		for _, w := range []string{
			`<td>eu</td><td class="num">5</td><td class="num">4</td>
        <td><span class="why">timeout</span> 1 · <span class="why">http_status</span> 3</td><td class="num">0</td>`,
			`<td>us</td><td class="num">1</td><td class="num">0</td>
        <td>none</td>`,
		} {
			if !strings.Contains(block, w) {
				t.Errorf("recent checks of the link page%s lack %q:\n%s", by, w, block)
			}
		}
		if strings.Contains(block, "<td>ap</td>") || strings.Contains(block, ">dns<") {
			t.Errorf("recent checks of the link page%s show a check older than 24 hours:\n%s", by, block)
		}
	}
}
