package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/edge"
)

// maxBody bounds every JSON request body but result pushes; maxResultsBody
// bounds those (maxResultBatch results with full redirect chains). They are
// the edge's limits for these routes, so in the server the edge sees a body
// over them first and answers 413; these keep the API safe on its own.
const (
	maxBody        = edge.APIBodyLimit
	maxResultsBody = edge.ProbeResultsBodyLimit
)

// decodeJSON reads exactly one JSON object from the request body into v,
// rejecting unknown fields, trailing data and bodies over maxBody.
func decodeJSON(r *http.Request, v any) error {
	return decodeJSONLimit(r, v, maxBody)
}

func decodeJSONLimit(r *http.Request, v any, limit int64) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return linkwatch.Errorf(linkwatch.EBADREQUEST, "request body is larger than %d bytes", limit)
		}
		return linkwatch.Errorf(linkwatch.EBADREQUEST, "could not read request body")
	}
	return decodeBytes(body, v)
}

// decodeBytes is decodeJSON's parser, separate so it can be fuzzed.
func decodeBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return linkwatch.Errorf(linkwatch.EBADREQUEST, "request body must hold a single JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return linkwatch.Errorf(linkwatch.EBADREQUEST, "request body must hold a single JSON object")
	}
	return nil
}

// jsonError turns encoding/json's errors into messages that name the field.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var field *fieldError
	switch {
	case errors.As(err, &field):
		return &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: field.field, Message: field.msg}
	case errors.As(err, &syntax):
		return linkwatch.Errorf(linkwatch.EBADREQUEST, "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		name := typ.Field
		if name == "" {
			return linkwatch.Errorf(linkwatch.EBADREQUEST, "request body must be a JSON object")
		}
		return &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: name, Message: fmt.Sprintf("%s must be a JSON %s", name, jsonKind(typ.Type.Kind().String()))}
	case errors.Is(err, io.EOF):
		return linkwatch.Errorf(linkwatch.EBADREQUEST, "request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return linkwatch.Errorf(linkwatch.EBADREQUEST, "request body is truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: name, Message: fmt.Sprintf("unknown field %q", name)}
	}
	return linkwatch.Errorf(linkwatch.EBADREQUEST, "malformed JSON request body")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

// fieldError is returned by the custom field types so jsonError can name the
// field in its message.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

// optional is a PATCH field: Set when present, Null when present as null.
type optional[T any] struct {
	Set  bool
	Null bool
	V    T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

// timestamp is expires_at: an RFC 3339 time with a clear error. start and
// end are the same for silences and maintenances.
type (
	timestamp struct{ T time.Time }
	startTime struct{ T time.Time }
	endTime   struct{ T time.Time }
)

func (t *timestamp) UnmarshalJSON(b []byte) (err error) {
	t.T, err = parseTime(b, "expires_at")
	return
}
func (t *startTime) UnmarshalJSON(b []byte) (err error) { t.T, err = parseTime(b, "start"); return }
func (t *endTime) UnmarshalJSON(b []byte) (err error)   { t.T, err = parseTime(b, "end"); return }

func parseTime(b []byte, field string) (time.Time, error) {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return time.Time{}, &fieldError{field, "must be an RFC 3339 time string such as 2027-01-31T23:59:00Z"}
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, &fieldError{field, "must be an RFC 3339 time string such as 2027-01-31T23:59:00Z"}
	}
	return v.UTC(), nil
}

// duration is check_interval: a Go duration string ("90s", "5m") or a
// number of seconds.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	v, err := parseDuration(b, "check_interval", linkwatch.MaxCheckInterval)
	*d = duration(v)
	return err
}

// latency is max_response_time, in the same forms as duration.
type latency time.Duration

func (d *latency) UnmarshalJSON(b []byte) error {
	v, err := parseDuration(b, "max_response_time", 5*time.Minute)
	*d = latency(v)
	return err
}

func parseDuration(b []byte, field string, limit time.Duration) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return 0, &fieldError{field, "must be a duration such as \"60s\" or \"1.5s\""}
		}
		return v, nil
	}
	n, err := strconv.ParseFloat(string(b), 64)
	if err != nil || n < 0 || n > limit.Seconds() {
		return 0, &fieldError{field, fmt.Sprintf("must be a duration such as \"60s\" or a number of seconds up to %g", limit.Seconds())}
	}
	return time.Duration(n * float64(time.Second)), nil
}
