package drills

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// apiClient talks to a drill's control plane with its admin token.
type apiClient struct {
	base, token string
	hc          *http.Client
}

func newAPI(base, token string) *apiClient {
	return &apiClient{base: base, token: token, hc: &http.Client{Timeout: 30 * time.Second}}
}

// do sends body as JSON to /api/v1+path and decodes the answer into out
// (when not nil); it returns the status. A transport error fails t.
func (c *apiClient) do(t testing.TB, method, path string, body, out any) int {
	t.Helper()
	status, raw, err := c.try(method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil && status < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return status
}

// try is do without t: for requests that may legitimately fail.
func (c *apiClient) try(method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+"/api/v1"+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// link is the part of the API's link the drills read.
type link struct {
	ID             int64  `json:"id"`
	Slug           string `json:"slug"`
	Destination    string `json:"destination"`
	FallbackURL    string `json:"fallback_url"`
	FailoverActive bool   `json:"failover_active"`
}

// createLink creates a link from fields (destination, slug, …), failing t
// unless it is created.
func (c *apiClient) createLink(t testing.TB, fields map[string]any) link {
	t.Helper()
	var l link
	if st := c.do(t, http.MethodPost, "/links", fields, &l); st != http.StatusCreated {
		_, raw, _ := c.try(http.MethodPost, "/links", fields)
		t.Fatalf("create link %v: status %d: %s", fields, st, raw)
	}
	return l
}

// alert is the part of the API's alert the drills read.
type alert struct {
	Rule     string    `json:"rule"`
	Scope    string    `json:"scope"`
	State    string    `json:"state"`
	Severity string    `json:"severity"`
	Summary  string    `json:"summary"`
	Since    time.Time `json:"since"`
}

// scrape reads a process's /metrics.
func scrape(base string) ([]byte, error) {
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %s", base, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// metricOf scrapes base and reads one metric (see metric), failing t when
// it cannot.
func metricOf(t testing.TB, base, name string, labels ...string) float64 {
	t.Helper()
	b, err := scrape(base)
	if err != nil {
		t.Fatal(err)
	}
	v, err := metric(b, name, labels...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
