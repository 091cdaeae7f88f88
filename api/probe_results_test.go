package api

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober"
)

// wireResult is a valid result for target, from the eu-west prober token.
func wireResult(id string, target linkwatch.Target) prober.WireResult {
	return prober.ResultToWire(&linkwatch.Result{ID: id, Target: target, Region: "eu-west", Prober: "eu-west/host-1", At: testNow.Add(-time.Minute),
		Step: linkwatch.StepDestination, Status: 200, Phases: linkwatch.Phases{Total: 80 * time.Millisecond},
		Hops: []linkwatch.Hop{{URL: "https://a.com/", Status: 200}}, FinalURL: "https://a.com/"})
}

func (e *env) push(token string, status int, results ...prober.WireResult) prober.ResultsResponse {
	e.t.Helper()
	b, err := json.Marshal(prober.ResultBatch{Results: results})
	if err != nil {
		e.t.Fatal(err)
	}
	var out prober.ResultsResponse
	e.mustDo("POST", "/api/v1/probe/results", token, string(b), status, &out)
	return out
}

func (e *env) stored(target linkwatch.Target) []string {
	e.t.Helper()
	rs, err := e.store.Results(context.Background(), target, testNow.Add(-48*time.Hour), testNow.Add(100*365*24*time.Hour), 0)
	if err != nil {
		e.t.Fatal(err)
	}
	ids := []string{}
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

func hops(n int) []prober.WireHop {
	out := make([]prober.WireHop, n)
	for i := range out {
		out[i] = prober.WireHop{URL: fmt.Sprintf("https://a.com/%d", i), Status: 302}
	}
	return out
}

// TestPushResultsRejections: every bound is checked per result; in a mixed
// push the valid result is stored and the invalid one rejected with its
// field and a reason, and one just inside each bound is accepted.
func TestPushResultsRejections(t *testing.T) {
	e := newEnv(t)
	var l LinkDoc
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"spring","destination":"https://a.com/"}`, 201, &l)
	var m monitorJSON
	e.mustDo("POST", "/api/v1/monitors", adminSecret, `{"name":"api","url":"https://a.com/health"}`, 201, &m)
	link := linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
	monitor := linkwatch.Target{Kind: linkwatch.KindMonitor, ID: m.ID}
	long := func(n int) string { return "https://a.com/" + strings.Repeat("x", n-len("https://a.com/")) }

	for _, tt := range []struct {
		name   string
		mutate func(*prober.WireResult)
		field  string // "" when the result must be accepted
		reason string // a part of the reason
	}{
		{"foreign region", func(w *prober.WireResult) { w.Region = "us-east" }, "region", "us-east"},
		{"invented region", func(w *prober.WireResult) { w.Region = "mars/1" }, "region", "letters, digits"},
		{"unknown link", func(w *prober.WireResult) { w.TargetID = l.ID + 1000 }, "target_id", "no link"},
		{"unknown monitor", func(w *prober.WireResult) { w.Kind, w.TargetID = "monitor", m.ID+1000 }, "target_id", "no monitor"},
		{"the fallback of a link without one", func(w *prober.WireResult) { w.Kind = linkwatch.KindFallback }, "target_id", "no link with id"},
		{"no target", func(w *prober.WireResult) { w.TargetID = 0 }, "target_id", "positive"},
		{"dated 2099", func(w *prober.WireResult) { w.At = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC) }, "at", "future"},
		{"two minutes ahead", func(w *prober.WireResult) { w.At = testNow.Add(2 * time.Minute) }, "at", "future"},
		{"one minute ahead", func(w *prober.WireResult) { w.At = testNow.Add(time.Minute) }, "", ""},
		{"a day old", func(w *prober.WireResult) { w.At = testNow.Add(-24 * time.Hour) }, "", ""},
		{"older than a day", func(w *prober.WireResult) { w.At = testNow.Add(-24*time.Hour - time.Second) }, "at", "before"},
		{"no at", func(w *prober.WireResult) { w.At = time.Time{} }, "at", "required"},
		{"hop URL at the limit", func(w *prober.WireResult) { w.Hops[0].URL = long(linkwatch.MaxURLLen) }, "", ""},
		{"hop URL too long", func(w *prober.WireResult) { w.Hops[0].URL = long(linkwatch.MaxURLLen + 1) }, "hops[0].url", "2048"},
		{"most hops", func(w *prober.WireResult) { w.Hops = hops(linkwatch.MaxResultHops) }, "", ""},
		{"too many hops", func(w *prober.WireResult) { w.Hops = hops(linkwatch.MaxResultHops + 1) }, "hops", "at most"},
		{"error at the limit", func(w *prober.WireResult) { w.Class, w.Error = "http_status", strings.Repeat("e", 1024) }, "", ""},
		{"error too long", func(w *prober.WireResult) { w.Class, w.Error = "http_status", strings.Repeat("e", 1025) }, "error", "1024"},
		{"fingerprint at the limit", func(w *prober.WireResult) { w.Fingerprint = strings.Repeat("f", 128) }, "", ""},
		{"fingerprint too long", func(w *prober.WireResult) { w.Fingerprint = strings.Repeat("f", 129) }, "fingerprint", "128"},
		{"final_url too long", func(w *prober.WireResult) { w.FinalURL = long(linkwatch.MaxURLLen + 1) }, "final_url", "2048"},
		{"prober id at the limit", func(w *prober.WireResult) { w.Prober = strings.Repeat("p", 128) }, "", ""},
		{"prober id too long", func(w *prober.WireResult) { w.Prober = strings.Repeat("p", 129) }, "prober", "128"},
		{"no prober id", func(w *prober.WireResult) { w.Prober = "" }, "prober", "required"},
		{"unknown step", func(w *prober.WireResult) { w.Step = strings.Repeat("vibes", 1000) }, "step", "unknown step"},
		{"unknown class", func(w *prober.WireResult) { w.Class = "gremlins" }, "error_class", "gremlins"},
		{"unknown kind", func(w *prober.WireResult) { w.Kind = "planet" }, "kind", "link, fallback or monitor"},
		{"short id", func(w *prober.WireResult) { w.ID = "x" }, "id", "8-64"},
		{"NUL in error", func(w *prober.WireResult) { w.Class, w.Error = "dns", "a\x00b" }, "error", "NUL"},
		{"negative latency", func(w *prober.WireResult) { w.TotalMS = -1 }, "total_ms", "0-"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			id := strings.ReplaceAll(tt.name, " ", "-") + "-result"
			good := wireResult("good-"+id, monitor)
			bad := wireResult(id, link)
			tt.mutate(&bad)
			if tt.field == "" {
				out := e.push(e.probe, 202, good, bad)
				if out.Accepted != 2 || len(out.Rejected) != 0 {
					t.Fatalf("response %+v, want both accepted", out)
				}
				return
			}
			out := e.push(e.probe, 207, good, bad)
			if out.Accepted != 1 || len(out.Rejected) != 1 {
				t.Fatalf("response %+v, want 1 accepted and 1 rejected", out)
			}
			rj := out.Rejected[0]
			if rj.Index != 1 || rj.Field != tt.field || !strings.Contains(rj.Reason, tt.reason) || len(rj.Reason) > 300 {
				t.Fatalf("rejected %+v, want index 1, field %q, reason with %q", rj, tt.field, tt.reason)
			}
			if bad.ID == id && rj.ID != id {
				t.Errorf("rejection names id %q, want %q", rj.ID, id)
			}
			if !slices.Contains(e.stored(monitor), good.ID) {
				t.Errorf("the valid result of the push was not stored")
			}
			if slices.Contains(e.stored(link), bad.ID) {
				t.Errorf("the rejected result was stored")
			}
		})
	}
	e.t = t

	// Everything rejected: still 207, nothing stored, the answer in batch
	// order.
	bad1, bad2 := wireResult("bad-1-result", link), wireResult("bad-2-result", link)
	bad1.Region, bad2.TargetID = "ap-south", l.ID+77
	out := e.push(e.probe, 207, bad2, bad1)
	if out.Accepted != 0 || len(out.Rejected) != 2 || out.Rejected[0].Field != "target_id" || out.Rejected[1].Field != "region" {
		t.Fatalf("all rejected: %+v", out)
	}

	// A forged future result never becomes the latest state.
	forged := wireResult("forged-2099", link)
	forged.At, forged.Class, forged.Error = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), "http_status", "forged"
	real := wireResult("real-now-1", link)
	real.At = testNow
	e.push(e.probe, 207, forged, real)
	latest, err := e.store.LatestResults(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range latest {
		if r.ID == "forged-2099" || r.At.After(testNow.Add(prober.MaxResultAhead)) {
			t.Fatalf("latest holds a forged result: %+v", r)
		}
	}

	// An admin token reports for any region.
	anywhere := wireResult("admin-sa-east", monitor)
	anywhere.Region = "sa-east"
	if out := e.push(adminSecret, 202, anywhere); out.Accepted != 1 {
		t.Fatalf("admin push: %+v", out)
	}

	// A push beyond the batch limit is refused whole.
	many := make([]prober.WireResult, maxResultBatch+1)
	for i := range many {
		many[i] = wireResult(fmt.Sprintf("many-%08d", i), link)
	}
	var body errorBody
	b, _ := json.Marshal(prober.ResultBatch{Results: many})
	e.mustDo("POST", "/api/v1/probe/results", e.probe, string(b), 422, &body)
	if body.Error.Field != "results" {
		t.Fatalf("too many results: %+v", body)
	}
}

// TestProberTokenWithoutRegions: a prober token from before regions existed
// is refused whole, with a message that says how to replace it.
func TestProberTokenWithoutRegions(t *testing.T) {
	e := newEnv(t)
	legacy, secret := linkwatch.NewToken("old eu prober", []linkwatch.Scope{linkwatch.ScopeProber}, testNow)
	if err := e.store.CreateToken(context.Background(), legacy); err != nil {
		t.Fatal(err)
	}
	var m monitorJSON
	e.mustDo("POST", "/api/v1/monitors", adminSecret, `{"name":"api","url":"https://a.com/health"}`, 201, &m)
	var body errorBody
	b, _ := json.Marshal(prober.ResultBatch{Results: []prober.WireResult{wireResult("legacy-result", linkwatch.Target{Kind: "monitor", ID: m.ID})}})
	e.mustDo("POST", "/api/v1/probe/results", secret.Reveal(), string(b), 403, &body)
	if !strings.Contains(body.Error.Message, "--region") {
		t.Fatalf("message %q does not say how to fix the token", body.Error.Message)
	}
	e.mustDo("POST", "/api/v1/probe/heartbeat", secret.Reveal(), `{"prober":"eu-west/h","region":"eu-west","version":"1"}`, 403, &body)
	if !strings.Contains(body.Error.Message, "--region eu-west") {
		t.Fatalf("heartbeat message %q", body.Error.Message)
	}
	if ids := e.stored(linkwatch.Target{Kind: "monitor", ID: m.ID}); len(ids) != 0 {
		t.Fatalf("stored %v", ids)
	}
}

// TestHeartbeatRegions: a prober token beats only for its regions, so fake
// heartbeats in other regions cannot take a share of their checks; ID and
// version are bounded.
func TestHeartbeatRegions(t *testing.T) {
	e := newEnv(t)
	var body errorBody
	e.mustDo("POST", "/api/v1/probe/heartbeat", e.probe, `{"prober":"eu-west/h","region":"eu-west","version":"1.0"}`, 204, nil)
	e.mustDo("POST", "/api/v1/probe/heartbeat", e.probe, `{"prober":"fake-1","region":"us-east","version":"1.0"}`, 403, &body)
	if !strings.Contains(body.Error.Message, `"us-east"`) || !strings.Contains(body.Error.Message, "eu-west") {
		t.Fatalf("message %q", body.Error.Message)
	}
	// Nor may it read another region's share of the checks.
	e.mustDo("GET", "/api/v1/probe/assignments?region=us-east&prober=fake-1", e.probe, "", 403, &body)
	e.mustDo("GET", "/api/v1/probe/assignments?region=eu-west&prober=eu-west/h", e.probe, "", 200, nil)
	for _, tt := range []struct{ body, field string }{
		{fmt.Sprintf(`{"prober":%q,"region":"eu-west"}`, strings.Repeat("p", 129)), "prober"},
		{fmt.Sprintf(`{"prober":"p","region":"eu-west","version":%q}`, strings.Repeat("v", 129)), "version"},
		{`{"prober":"p","region":"eu west"}`, "region"},
		{`{"prober":"p","region":""}`, "region"},
	} {
		e.mustDo("POST", "/api/v1/probe/heartbeat", e.probe, tt.body, 422, &body)
		if body.Error.Field != tt.field {
			t.Errorf("%s: field %q, want %q", tt.body, body.Error.Field, tt.field)
		}
	}
	e.mustDo("POST", "/api/v1/probe/heartbeat", e.probe, fmt.Sprintf(`{"prober":%q,"region":"eu-west","version":%q}`, strings.Repeat("p", 128), strings.Repeat("v", 128)), 204, nil)
	e.mustDo("POST", "/api/v1/probe/heartbeat", adminSecret, `{"prober":"x","region":"us-east"}`, 204, nil)
	all, err := e.store.Probers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		if p.ID == "fake-1" {
			t.Fatalf("a refused heartbeat was stored: %+v", p)
		}
	}
}

// TestTokenRegions: creating tokens with regions, and listing them.
func TestTokenRegions(t *testing.T) {
	e := newEnv(t)
	var body errorBody
	for _, tt := range []struct{ name, body string }{
		{"prober without regions", `{"name":"p","scopes":["prober"]}`},
		{"prober with empty regions", `{"name":"p","scopes":["prober"],"regions":[]}`},
		{"read with regions", `{"name":"r","scopes":["read"],"regions":["eu-west"]}`},
		{"admin with regions", `{"name":"a","scopes":["admin","prober"],"regions":["eu-west"]}`},
		{"bad characters", `{"name":"p","scopes":["prober"],"regions":["eu west"]}`},
		{"slash", `{"name":"p","scopes":["prober"],"regions":["eu/west"]}`},
		{"empty region", `{"name":"p","scopes":["prober"],"regions":[""]}`},
		{"long region", fmt.Sprintf(`{"name":"p","scopes":["prober"],"regions":[%q]}`, strings.Repeat("r", 65))},
		{"too many", `{"name":"p","scopes":["prober"],"regions":[` + strings.TrimSuffix(strings.Repeat(`"r",`, linkwatch.MaxTokenRegions+1), ",") + `]}`},
	} {
		e.mustDo("POST", "/api/v1/tokens", adminSecret, tt.body, 422, &body)
		if body.Error.Field != "regions" {
			t.Errorf("%s: field %q (%s), want regions", tt.name, body.Error.Field, body.Error.Message)
		}
	}
	var created TokenDoc
	e.mustDo("POST", "/api/v1/tokens", adminSecret, `{"name":"two regions","scopes":["prober"],"regions":["eu-west","us-east.1","eu-west"]}`, 201, &created)
	if fmt.Sprint(created.Regions) != "[eu-west us-east.1]" {
		t.Fatalf("created regions %v", created.Regions)
	}
	e.mustDo("POST", "/api/v1/probe/heartbeat", created.Token, `{"prober":"us/h","region":"us-east.1"}`, 204, nil)
	var list struct{ Tokens []TokenDoc }
	b := e.mustDo("GET", "/api/v1/tokens", adminSecret, "", 200, &list)
	regions := map[string]string{}
	for _, tok := range list.Tokens {
		regions[tok.Name] = fmt.Sprint(tok.Regions)
	}
	if regions["two regions"] != "[eu-west us-east.1]" || regions["reader"] != "[]" || regions["prober-eu"] != "[eu-west]" {
		t.Fatalf("listed regions %v in %s", regions, b)
	}
}

// FuzzResults feeds arbitrary JSON to the results decoder and validator: it
// never panics, and every result it accepts is within every bound.
func FuzzResults(f *testing.F) {
	valid := wireResult("0123456789abcdef", linkwatch.Target{Kind: "link", ID: 1})
	seed := func(mutate func(*prober.WireResult)) {
		w := valid
		w.Hops = slices.Clone(valid.Hops)
		mutate(&w)
		b, _ := json.Marshal(prober.ResultBatch{Results: []prober.WireResult{w}})
		f.Add(b)
	}
	seed(func(*prober.WireResult) {})
	seed(func(w *prober.WireResult) { w.At = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC) })
	seed(func(w *prober.WireResult) { w.Hops = hops(500) })
	seed(func(w *prober.WireResult) { w.Region = "us-east" })
	seed(func(w *prober.WireResult) { w.Error, w.Class = strings.Repeat("é", 600), "dns" })
	f.Add([]byte(`{"results":[{"id":"01234567","kind":"monitor","target_id":1,"region":"eu-west","prober":"p","at":"2026-11-23T11:59:00Z","step":"qr","total_ms":1e308}]}`))
	f.Add([]byte(`{"results":null}`))
	f.Add([]byte(`[]`))

	tok := &linkwatch.Token{Name: "eu", Scopes: []linkwatch.Scope{linkwatch.ScopeProber}, Regions: []string{"eu-west", "eu.central_1"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var batch prober.ResultBatch
		if err := decodeBytes(data, &batch); err != nil {
			if linkwatch.ErrorCode(err) != linkwatch.EBADREQUEST {
				t.Fatalf("decode error code %q: %v", linkwatch.ErrorCode(err), err)
			}
			return
		}
		for i := range batch.Results {
			w := &batch.Results[i]
			if err := checkResult(tok, w, testNow); err != nil {
				if linkwatch.ErrorField(err) == "" || linkwatch.ErrorCode(err) != linkwatch.EINVALID || len(linkwatch.ErrorMessage(err)) > 300 {
					t.Fatalf("rejection without a field, or too long: %v", err)
				}
				continue
			}
			r := w.Result()
			switch {
			case len(r.ID) < 8 || len(r.ID) > 64:
				t.Fatalf("accepted id %q", r.ID)
			case !linkwatch.ValidKind(r.Target.Kind) || r.Target.ID <= 0:
				t.Fatalf("accepted target %+v", r.Target)
			case !slices.Contains(tok.Regions, r.Region):
				t.Fatalf("accepted foreign region %q", r.Region)
			case r.At.Before(testNow.Add(-24*time.Hour)) || r.At.After(testNow.Add(time.Minute)):
				t.Fatalf("accepted at %v", r.At)
			case len(r.Hops) > linkwatch.MaxResultHops:
				t.Fatalf("accepted %d hops", len(r.Hops))
			case len(r.Error) > 1024 || len(r.Fingerprint) > 128 || len(r.FinalURL) > 2048:
				t.Fatalf("accepted error %d, fingerprint %d, final_url %d bytes", len(r.Error), len(r.Fingerprint), len(r.FinalURL))
			case r.Prober == "" || len(r.Prober) > 128:
				t.Fatalf("accepted prober %q", r.Prober)
			case r.Step != linkwatch.StepShortLink && r.Step != linkwatch.StepDestination && r.Step != linkwatch.StepQR:
				t.Fatalf("accepted step %q", r.Step)
			case r.Class != "" && !slices.Contains(linkwatch.ErrorClasses, r.Class):
				t.Fatalf("accepted class %q", r.Class)
			case r.Phases.Total < 0:
				t.Fatalf("accepted negative latency %v", r.Phases.Total)
			}
			for _, h := range r.Hops {
				if len(h.URL) > 2048 {
					t.Fatalf("accepted a hop URL of %d bytes", len(h.URL))
				}
			}
		}
	})
}

// TestPushFallbackResults: a result of a link's fallback (kind fallback,
// the link's ID) is accepted and stored while the link has a fallback_url.
func TestPushFallbackResults(t *testing.T) {
	e := newEnv(t)
	var l LinkDoc
	e.mustDo("POST", "/api/v1/links", adminSecret,
		`{"slug":"spring","destination":"https://a.com/","fallback_url":"https://b.com/"}`, 201, &l)
	fb := linkwatch.Target{Kind: linkwatch.KindFallback, ID: l.ID}
	out := e.push(e.probe, 202, wireResult("fallback-result-1", fb))
	if out.Accepted != 1 || !slices.Contains(e.stored(fb), "fallback-result-1") {
		t.Fatalf("response %+v, stored %v: want the fallback's result stored", out, e.stored(fb))
	}
}
