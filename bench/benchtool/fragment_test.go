package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// What write writes, the summary reads back, tabs and newlines in text
// turned into spaces.
func TestFragmentRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prober.tsv")
	f := fragment{title: "Prober\tbench", notes: []string{"one\nprober"}}
	f.add(figure{subject: "scheduled", metric: "checks/min", value: 10000, unit: "checks"})
	f.add(figure{subject: "minute 1", metric: "checks/min", value: 9998.5, unit: "checks", baseline: "scheduled", target: "ratio>=0.999", details: "0 not ok"})
	if err := f.write(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s section
	if err := parseTSV(&s, data); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if s.title != "Prober bench" || len(s.notes) != 1 || s.notes[0] != "one prober" || s.measured.IsZero() {
		t.Errorf("headers %q %q %v", s.title, s.notes, s.measured)
	}
	if len(s.figures) != 2 || s.figures[1] != f.figures[1] {
		t.Errorf("figures %+v, want %+v", s.figures, f.figures)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
}

func TestBareClientCPU(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); w.Write([]byte("ok")) }))
	defer srv.Close()
	per, err := bareClientCPU(t.Context(), srv.URL+"/landing/1", 200, 4)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 200 || per <= 0 {
		t.Errorf("%d requests served, %v CPU each; want 200 and more than nothing", n.Load(), per)
	}
	srv.Close()
	if _, err := bareClientCPU(t.Context(), srv.URL+"/", 5, 2); err == nil {
		t.Error("baseline against a closed server returned no error")
	}
}
