package prober

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestPushRejections: results the control plane rejects one by one are
// final (logged with the reason, counted, never spooled); a refused token
// keeps the batch spooled until it is accepted; a push refused whole is
// dropped and counted.
func TestPushRejections(t *testing.T) {
	var mu sync.Mutex
	status, answer := 0, ""
	var pushes [][]string // result IDs of each push
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b ResultBatch
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &b)
		mu.Lock()
		defer mu.Unlock()
		var ids []string
		for _, res := range b.Results {
			ids = append(ids, res.ID)
		}
		pushes = append(pushes, ids)
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	reply := func(code int, body string) {
		mu.Lock()
		status, answer, pushes = code, body, nil
		mu.Unlock()
	}
	pushed := func() [][]string {
		mu.Lock()
		defer mu.Unlock()
		return pushes
	}

	control, _ := url.Parse(srv.URL)
	var logs bytes.Buffer
	r, err := NewRemote(RemoteConfig{Control: control, Token: "t", Region: "eu-west", ProberID: "eu-west/h", SpoolDir: t.TempDir(), SpoolMax: 1 << 20},
		slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	submit := func(ids ...string) {
		for _, id := range ids {
			r.Submit(linkwatch.Result{ID: id, Target: linkwatch.Target{Kind: "link", ID: 1}, Region: "eu-west", Prober: "eu-west/h",
				At: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), Step: linkwatch.StepDestination})
		}
	}

	// One of two rejected: counted and logged with its reason, not spooled.
	reply(207, `{"accepted":1,"rejected":[{"index":1,"id":"result-b","field":"at","reason":"at 2099-01-01T00:00:00Z is in the future"}]}`)
	submit("result-a", "result-b")
	r.pushOnce(t.Context())
	if got := testutil.ToFloat64(r.rejected); got != 1 {
		t.Fatalf("rejected = %v, want 1", got)
	}
	if got := testutil.ToFloat64(r.pushed); got != 1 {
		t.Fatalf("pushed = %v, want 1", got)
	}
	if r.spool.Len() != 0 || testutil.ToFloat64(r.spooled) != 0 {
		t.Fatalf("a rejected result was spooled: %d batches", r.spool.Len())
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "id=result-b") || !strings.Contains(l, "is in the future") {
		t.Fatalf("log lacks the rejection: %s", l)
	}
	r.pushOnce(t.Context())
	if n := len(pushed()); n != 1 {
		t.Fatalf("%d pushes, want 1: a rejected result must not be sent again", n)
	}

	// A refused token: the batch waits in the spool, logged once.
	reply(403, `{"error":{"code":"forbidden","message":"token names no regions"}}`)
	logs.Reset()
	submit("result-c")
	r.pushOnce(t.Context())
	submit("result-d")
	r.pushOnce(t.Context())
	if r.spool.Len() == 0 || testutil.ToFloat64(r.rejected) != 1 {
		t.Fatalf("spool %d batches, rejected %v: a refused token must keep results", r.spool.Len(), testutil.ToFloat64(r.rejected))
	}
	if n := strings.Count(logs.String(), "refuses this prober's token"); n != 1 {
		t.Fatalf("token refusal logged %d times, want once:\n%s", n, logs.String())
	}

	// The token is replaced: the spool is replayed in order and emptied.
	reply(202, `{"accepted":1,"rejected":[]}`)
	r.pushOnce(t.Context())
	var replayed []string
	for _, p := range pushed() {
		replayed = append(replayed, p...)
	}
	if r.spool.Len() != 0 || strings.Join(replayed, ",") != "result-c,result-d" {
		t.Fatalf("after the token works again: spool %d, pushed %v", r.spool.Len(), replayed)
	}

	// A push refused whole as invalid is dropped and counted as rejected.
	reply(422, `{"error":{"code":"invalid","field":"results","message":"at most 1000 results per push"}}`)
	submit("result-e", "result-f")
	r.pushOnce(t.Context())
	if r.spool.Len() != 0 || testutil.ToFloat64(r.rejected) != 3 {
		t.Fatalf("spool %d, rejected %v; want 0 and 3", r.spool.Len(), testutil.ToFloat64(r.rejected))
	}
}
