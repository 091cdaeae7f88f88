package statuspage

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// goldenFixture is a small, fixed snapshot: pageNow, Europe/Berlin, a group
// of two components and two more, an incident in progress, one resolved
// whose updates changed components, maintenance in progress and upcoming.
func goldenFixture() *Snapshot {
	s := pageFixture(pageFixtureOptions{groups: 1, components: 4, resolved: 2})
	start := pageNow.Add(-26*time.Hour - 5*time.Minute)
	s.Incidents = append(s.Incidents, Incident{ID: "inc-changes", Name: "Checkout <down> & slow", Status: Resolved, Impact: ImpactMajor,
		Components: []Affected{{ComponentID: "comp-1", Status: Operational}, {ComponentID: "comp-4", Status: Operational}},
		CreatedAt:  start, StartedAt: start, UpdatedAt: pageNow.Add(-time.Hour), ResolvedAt: pageNow.Add(-time.Hour),
		Updates: []Update{
			{ID: "c3", Status: Resolved, Body: "Fixed.", CreatedAt: pageNow.Add(-time.Hour)},
			{ID: "c2", Status: Identified, Body: "The catalog is slow too.", CreatedAt: pageNow.Add(-3 * time.Hour),
				Components: []Affected{{ComponentID: "comp-1", Status: PartialOutage}, {ComponentID: "comp-4", Status: DegradedPerformance}}},
			{ID: "c1", Status: Investigating, Body: "Payments fail.\nWe are looking.", CreatedAt: start,
				Components: []Affected{{ComponentID: "comp-1", Status: MajorOutage}}},
		}})
	return s
}

// TestGoldenPages pins the rendered HTML of /status, an incident page and
// /status/embed for a fixed snapshot, byte for byte. After an intended
// change: go test ./statuspage -run TestGoldenPages -update, and review
// the diff of testdata/golden.
func TestGoldenPages(t *testing.T) {
	_, srv, c := newPageServer(t, goldenFixture())
	for _, g := range []struct{ path, file string }{
		{"/status", "status.html.golden"},
		{"/status/incidents/inc-changes", "incident.html.golden"},
		{"/status/embed", "embed.html.golden"},
	} {
		r := fetch(t, c, http.MethodGet, srv.URL+g.path)
		if r.code != http.StatusOK {
			t.Fatalf("%s: %d", g.path, r.code)
		}
		file := filepath.Join("testdata", "golden", g.file)
		if updateGolden() {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(r.body), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if r.body != string(want) {
			t.Errorf("%s differs from %s (run with -update after an intended change):\n%s", g.path, file, firstDiff(string(want), r.body))
		}
	}
}

// firstDiff shows the first line where got leaves want, with its neighbours.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n- " + wl + "\n+ " + gl
		}
	}
	return "(same lines; different line endings?)"
}
