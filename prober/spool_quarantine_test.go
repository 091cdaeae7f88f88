package prober

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestSpoolQuarantinesUnreadableBatches: a truncated spool file is moved
// aside as *.bad, counted and logged once, and the batches behind it are
// replayed to the control plane instead of waiting for ever.
func TestSpoolQuarantinesUnreadableBatches(t *testing.T) {
	dir := t.TempDir()
	sp, err := OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []ResultBatch{batchOf("a1"), batchOf("b1"), batchOf("c1")} {
		if err := sp.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	first := sp.path(sp.segments[0].seq)
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(first, data[:len(data)/2], 0o600); err != nil { // truncated
		t.Fatal(err)
	}

	var mu sync.Mutex
	var pushed []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b ResultBatch
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &b)
		mu.Lock()
		for _, res := range b.Results {
			pushed = append(pushed, res.ID)
		}
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"accepted":1,"rejected":[]}`)
	}))
	defer srv.Close()
	control, _ := url.Parse(srv.URL)
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	r, err := NewRemote(RemoteConfig{Control: control, Token: "t", Region: "eu-west", ProberID: "eu-west/h", SpoolDir: dir, SpoolMax: 1 << 20},
		slog.New(slog.NewTextHandler(&logs, nil)), reg)
	if err != nil {
		t.Fatal(err)
	}
	r.pushOnce(t.Context())
	r.pushOnce(t.Context())

	mu.Lock()
	got := strings.Join(pushed, ",")
	mu.Unlock()
	if got != "b1,c1" {
		t.Fatalf("pushed %q, want b1,c1 (the batches behind the truncated one)", got)
	}
	if r.spool.Len() != 0 || r.spool.Bytes() != 0 {
		t.Fatalf("spool still holds %d batches, %d bytes", r.spool.Len(), r.spool.Bytes())
	}
	bad := strings.TrimSuffix(first, ".json") + ".bad"
	if _, err := os.Stat(bad); err != nil {
		t.Fatalf("the truncated batch was not kept as %s: %v", filepath.Base(bad), err)
	}
	if n := strings.Count(logs.String(), "quarantined"); n != 1 {
		t.Fatalf("quarantine logged %d times, want once:\n%s", n, logs.String())
	}
	if n, err := testutil.GatherAndCount(reg, "linkwatch_prober_spool_quarantined_total"); err != nil || n != 1 {
		t.Fatalf("metric linkwatch_prober_spool_quarantined_total: %d series, %v", n, err)
	}
	if q := r.spool.Quarantined(); q != 1 {
		t.Fatalf("quarantined = %d, want 1", q)
	}

	// A restart does not pick the quarantined file up again.
	sp, err = OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Len() != 0 {
		t.Fatalf("reopened spool holds %d batches, want 0", sp.Len())
	}
}

// TestSpoolWriteErrorIsReported: a batch whose write fails is not reported
// as spooled (the caller counts it dropped) and leaves no file behind.
func TestSpoolWriteErrorIsReported(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	dir := t.TempDir()
	sp, err := OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	// The next batch's temporary file is a device that refuses every write
	// (ENOSPC): opening it works, writing does not.
	if err := os.Symlink("/dev/full", sp.path(sp.next)+".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := sp.Append(batchOf("a1")); err == nil {
		t.Fatal("Append reported a batch spooled although its write failed")
	}
	if sp.Len() != 0 {
		t.Fatalf("spool counts %d batches after a failed write", sp.Len())
	}
	if _, err := os.Lstat(sp.path(sp.next)); !os.IsNotExist(err) {
		t.Fatalf("a failed write left a batch file: %v", err)
	}

	// Through the remote: the results are counted dropped, not spooled.
	control, _ := url.Parse("http://127.0.0.1:1")
	r, err := NewRemote(RemoteConfig{Control: control, Token: "t", Region: "eu-west", ProberID: "eu-west/h", SpoolDir: dir, SpoolMax: 1 << 20},
		slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/full", r.spool.path(r.spool.next)+".tmp"); err != nil {
		t.Fatal(err)
	}
	r.toSpool([]linkwatch.Result{{ID: "x"}})
	if s, d := testutil.ToFloat64(r.spooled), testutil.ToFloat64(r.dropped); s != 0 || d != 1 {
		t.Fatalf("spooled %v, dropped %v; want 0 and 1", s, d)
	}
}
