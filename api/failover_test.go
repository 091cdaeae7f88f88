package api

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch"
)

// TestFailoverModeOnLinks: `failover` is the mode; create and PATCH take
// auto or off, and a client still sending the old boolean is told the new
// values.
func TestFailoverModeOnLinks(t *testing.T) {
	e := newEnv(t)
	var l LinkDoc
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"a","destination":"https://a.example.com/","fallback_url":"https://b.example.com/"}`, 201, &l)
	if l.Failover != linkwatch.FailoverAuto || l.FailoverActive {
		t.Fatalf("default: failover %q active %v, want auto, false", l.Failover, l.FailoverActive)
	}
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"b","destination":"https://a.example.com/","failover":"off"}`, 201, &l)
	if l.Failover != linkwatch.FailoverOff {
		t.Fatalf("created off: %q", l.Failover)
	}
	for _, tt := range []struct{ name, method, path, body, want string }{
		{"old boolean on create", "POST", "/api/v1/links", `{"destination":"https://a.example.com/","failover":false}`, `"auto"`},
		{"old boolean on patch", "PATCH", "/api/v1/links/a", `{"failover":true}`, `"auto"`},
		{"pin on create", "POST", "/api/v1/links", `{"destination":"https://a.example.com/","failover":"fallback"}`, "/failover"},
		{"pin on patch", "PATCH", "/api/v1/links/a", `{"failover":"primary"}`, "/failover"},
		{"unknown mode", "PATCH", "/api/v1/links/a", `{"failover":"sideways"}`, `"off"`},
		{"a number", "POST", "/api/v1/links", `{"destination":"https://a.example.com/","failover":1}`, `"off"`},
	} {
		var body errorBody
		e.mustDo(tt.method, tt.path, adminSecret, tt.body, 422, &body)
		if body.Error.Field != "failover" || !strings.Contains(body.Error.Message, tt.want) {
			t.Errorf("%s: %+v, want field failover and a message naming %s", tt.name, body.Error, tt.want)
		}
	}
	e.mustDo("PATCH", "/api/v1/links/b", adminSecret, `{"failover":"auto"}`, 200, &l)
	if l.Failover != linkwatch.FailoverAuto {
		t.Fatalf("patched to auto: %q", l.Failover)
	}
	e.mustDo("PATCH", "/api/v1/links/b", adminSecret, `{"failover":"off"}`, 200, &l)
	e.mustDo("PATCH", "/api/v1/links/b", adminSecret, `{"failover":null}`, 200, &l)
	if l.Failover != linkwatch.FailoverAuto {
		t.Fatalf("null is the default, auto: %q", l.Failover)
	}
}

// TestPinFailover: an admin pins a link to its fallback or primary and hands
// it back to the automatic decision; /health and the link show it.
func TestPinFailover(t *testing.T) {
	e := newEnv(t)
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"spring","destination":"https://shop.example.com/","fallback_url":"https://backup.example.com/"}`, 201, nil)
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"spring","domain":"go.brand.com","destination":"https://brand.com/"}`, 201, nil)

	var body errorBody
	e.mustDo("POST", "/api/v1/links/spring/failover", e.read, `{"mode":"fallback"}`, 403, &body)
	e.mustDo("POST", "/api/v1/links/nope/failover", adminSecret, `{"mode":"fallback"}`, 404, &body)
	e.mustDo("POST", "/api/v1/links/spring/failover", adminSecret, `{"mode":"fallback","x":1}`, 400, &body)
	for _, tt := range []struct{ path, body, want string }{
		{"/api/v1/links/spring/failover?domain=go.brand.com", `{"mode":"fallback"}`, "no fallback_url"},
		{"/api/v1/links/spring/failover", `{}`, "required"},
		{"/api/v1/links/spring/failover", `{"mode":"off"}`, "PATCH"},
		{"/api/v1/links/spring/failover", `{"mode":"sideways"}`, `"primary"`},
	} {
		e.mustDo("POST", tt.path, adminSecret, tt.body, 422, &body)
		if body.Error.Field != "mode" || !strings.Contains(body.Error.Message, tt.want) {
			t.Errorf("%s %s: %+v, want field mode naming %s", tt.path, tt.body, body.Error, tt.want)
		}
	}

	var f FailoverDoc
	e.mustDo("POST", "/api/v1/links/spring/failover", adminSecret, `{"mode":"fallback"}`, 200, &f)
	if !f.Active || f.Mode != linkwatch.FailoverFallback || f.Since == nil || !f.Since.Equal(testNow) || f.Reason != reasonPinnedFallback {
		t.Fatalf("pinned to the fallback: %+v", f)
	}
	var l LinkDoc
	e.mustDo("GET", "/api/v1/links/spring", e.read, "", 200, &l)
	if l.Failover != linkwatch.FailoverFallback || !l.FailoverActive {
		t.Fatalf("the link shows the pin: %q active %v", l.Failover, l.FailoverActive)
	}
	var h HealthDoc
	e.mustDo("GET", "/api/v1/links/spring/health", e.read, "", 200, &h)
	if g := h.Failover; g == nil || !g.Active || g.Mode != f.Mode || g.Since == nil || !g.Since.Equal(*f.Since) || g.Reason != f.Reason {
		t.Fatalf("health failover %+v, want %+v", h.Failover, f)
	}
	// A pinned fallback cannot lose its fallback_url under it.
	e.mustDo("PATCH", "/api/v1/links/spring", adminSecret, `{"fallback_url":null}`, 422, &body)
	if body.Error.Field != "fallback_url" {
		t.Fatalf("clearing a pinned fallback: %+v", body.Error)
	}

	e.mustDo("POST", "/api/v1/links/spring/failover", adminSecret, `{"mode":"primary"}`, 200, &f)
	if f.Active || f.Mode != linkwatch.FailoverPrimary || f.Reason != reasonPinnedPrimary {
		t.Fatalf("pinned to the primary: %+v", f)
	}

	// The engine's decision stays under a pin and applies again on auto.
	if _, err := e.store.UpdateLink(t.Context(), "", "spring", func(l *linkwatch.Link) error {
		l.FailedOver, l.FailoverReason = true, "3 of 3 regions failing: http_status 503"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.mustDo("GET", "/api/v1/links/spring/health", e.read, "", 200, &h)
	if h.Failover.Active {
		t.Fatalf("a primary pin wins over the engine: %+v", h.Failover)
	}
	e.mustDo("POST", "/api/v1/links/spring/failover", adminSecret, `{"mode":"auto"}`, 200, &f)
	if !f.Active || f.Mode != linkwatch.FailoverAuto || f.Reason != reasonAutomatic {
		t.Fatalf("unpinned while the engine has failed over: %+v", f)
	}
	// PATCH to off clears the automatic choice's effect; PATCH to auto while
	// pinned clears the pin.
	e.mustDo("POST", "/api/v1/links/spring/failover", adminSecret, `{"mode":"fallback"}`, 200, &f)
	e.mustDo("PATCH", "/api/v1/links/spring", adminSecret, `{"failover":"off"}`, 200, &l)
	if l.Failover != linkwatch.FailoverOff || l.FailoverActive {
		t.Fatalf("patched off while pinned: %q active %v", l.Failover, l.FailoverActive)
	}
	e.mustDo("GET", "/api/v1/links/spring/health", e.read, "", 200, &h)
	if h.Failover.Mode != linkwatch.FailoverOff || h.Failover.Reason != reasonOff {
		t.Fatalf("health after off: %+v", h.Failover)
	}
}

// TestMonitorHealthHasNoFailover: only links fail over.
func TestMonitorHealthHasNoFailover(t *testing.T) {
	e := newEnv(t)
	var m struct{ ID int64 }
	e.mustDo("POST", "/api/v1/monitors", adminSecret, `{"name":"api","url":"https://api.example.com/"}`, 201, &m)
	b := e.mustDo("GET", "/api/v1/monitors/"+strconv.FormatInt(m.ID, 10)+"/health", e.read, "", 200, nil)
	if bytes.Contains(b, []byte(`"failover"`)) {
		t.Fatalf("monitor health has a failover object: %s", b)
	}
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"s","destination":"https://a.example.com/"}`, 201, nil)
	b = e.mustDo("GET", "/api/v1/links/s/health", e.read, "", 200, nil)
	if !bytes.Contains(b, []byte(`"failover":{"active":false,"mode":"auto","since":null,"reason":""}`)) {
		t.Fatalf("link health: %s", b)
	}
}

// FuzzFailover: the failover route's body and a link's `failover` field
// give a mode or a clear error with its field, never a panic or a pin
// through create/PATCH.
func FuzzFailover(f *testing.F) {
	for _, s := range []string{`{"mode":"fallback"}`, `{"mode":"off"}`, `{"mode":true}`, `{}`, `{"mode":null}`,
		`{"failover":true}`, `{"failover":"off"}`, `{"failover":"fallback"}`, `{"failover":null}`, `{"failover":{"a":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req failoverRequest
		if err := decodeBytes(data, &req); err == nil {
			m, err := req.mode()
			if err != nil && (linkwatch.ErrorCode(err) != linkwatch.EINVALID || linkwatch.ErrorField(err) != "mode") {
				t.Fatalf("mode error %v", err)
			}
			if err == nil && m != linkwatch.FailoverAuto && m != linkwatch.FailoverFallback && m != linkwatch.FailoverPrimary {
				t.Fatalf("accepted mode %q", m)
			}
		}
		var patch patchLinkRequest
		if decodeBytes(data, &patch) != nil {
			return
		}
		l := &linkwatch.Link{Slug: "s", Destination: "https://a.example.com/", RedirectCode: 302, CheckInterval: linkwatch.DefaultInterval,
			Failover: linkwatch.FailoverPrimary}
		if err := patch.apply(l, testNow); err != nil {
			if linkwatch.ErrorCode(err) != linkwatch.EINVALID || linkwatch.ErrorField(err) == "" {
				t.Fatalf("patch error without field: %v", err)
			}
			return
		}
		if patch.Failover.Set && l.Failover != linkwatch.FailoverAuto && l.Failover != linkwatch.FailoverOff {
			t.Fatalf("a PATCH set failover %q", l.Failover)
		}
	})
}
