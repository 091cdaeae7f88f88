package slack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

const (
	testToken       = "xoxb-1111-2222-TOKENSECRET"
	testWebhookPath = "/services/T000/B000/WEBHOOKSECRET"
)

// fakeSlack is a Slack Web API and incoming webhook on httptest. It records
// every request and answers from a script, then with success.
type fakeSlack struct {
	srv *httptest.Server

	mu     sync.Mutex
	reqs   []fakeRequest
	script []fakeAnswer
	posted int // messages and edits Slack accepted
}

// fakeRequest is one recorded request.
type fakeRequest struct {
	Path string
	Form url.Values // Web API calls
	JSON map[string]any
}

// fakeAnswer is one scripted answer.
type fakeAnswer struct {
	Status     int
	RetryAfter string
	Body       string
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// then queues answers for the next requests.
func (f *fakeSlack) then(answers ...fakeAnswer) *fakeSlack {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, answers...)
	return f
}

func (f *fakeSlack) requests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.reqs...)
}

func (f *fakeSlack) accepted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.posted
}

func (f *fakeSlack) apiURL() string     { return f.srv.URL + "/api/" }
func (f *fakeSlack) webhookURL() string { return f.srv.URL + testWebhookPath }

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := fakeRequest{Path: r.URL.Path}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &req.JSON)
	} else {
		req.Form, _ = url.ParseQuery(string(body))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	if len(f.script) > 0 {
		a := f.script[0]
		f.script = f.script[1:]
		if a.RetryAfter != "" {
			w.Header().Set("Retry-After", a.RetryAfter)
		}
		if strings.HasPrefix(a.Body, "{") {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(a.Status)
		_, _ = io.WriteString(w, a.Body)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/services/") {
		f.posted++
		_, _ = io.WriteString(w, "ok")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if req.Form.Get("token") != testToken {
		_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
		return
	}
	f.posted++
	ts := req.Form.Get("ts")
	if ts == "" {
		ts = fmt.Sprintf("1700000000.%06d", len(f.reqs))
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": req.Form.Get("channel"), "ts": ts})
}

// apiError is the body of an ok:false Web API answer.
func apiError(code string) string { return `{"ok":false,"error":"` + code + `"}` }
