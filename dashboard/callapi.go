package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/api"
)

// callAPI runs the control API's own handler in-process as the request's
// session token: method and path (relative to /api/v1, escaped by the
// caller, with any query) and body marshalled as JSON. A 2xx response is
// decoded into out (when not nil). An API error comes back as a
// *linkwatch.Error with the API's code, message and field, to show next to
// the field it names; the status is the API's.
func (d *Dashboard) callAPI(r *http.Request, method, path string, body, out any) (int, error) {
	s := sessionFrom(r.Context())
	if s == nil {
		return 0, errors.New("dashboard: callAPI outside a session")
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("dashboard: encode API request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	// The API's router must not see the dashboard's routing context.
	ctx := context.WithValue(api.WithToken(r.Context(), s.Token), chi.RouteCtxKey, nil)
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return 0, fmt.Errorf("dashboard: API request %s %s: %w", method, path, err)
	}
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}}
	d.deps.API.ServeHTTP(rec, req)
	status := rec.status()
	if status >= 400 {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Field   string `json:"field"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.body.Bytes(), &e); err != nil || e.Error.Code == "" {
			return status, fmt.Errorf("dashboard: API %s %s answered %d", method, path, status)
		}
		return status, &linkwatch.Error{Code: e.Error.Code, Message: e.Error.Message, Field: e.Error.Field}
	}
	if out != nil && rec.body.Len() > 0 {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return status, fmt.Errorf("dashboard: decode API %s %s: %w", method, path, err)
		}
	}
	return status, nil
}

// recorder is the response of an in-process API call.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

func (w *recorder) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
