package api

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/linkwatch/linkwatch"
)

// statusOf maps application error codes to HTTP status codes; it is the only
// place that does.
func statusOf(code string) int {
	switch code {
	case linkwatch.EBADREQUEST:
		return http.StatusBadRequest
	case linkwatch.EINVALID:
		return http.StatusUnprocessableEntity
	case linkwatch.ENOTFOUND:
		return http.StatusNotFound
	case linkwatch.ECONFLICT:
		return http.StatusConflict
	case linkwatch.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case linkwatch.EFORBIDDEN:
		return http.StatusForbidden
	case linkwatch.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeError answers with the error's status and JSON body. Users see the
// message; the cause of internal and unavailable errors goes to the log only.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := linkwatch.ErrorCode(err)
	if code == linkwatch.EINTERNAL || code == linkwatch.EUNAVAILABLE {
		log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	msg := linkwatch.ErrorMessage(err)
	if code == linkwatch.EUNAVAILABLE {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, statusOf(code), errorBody{errorDetail{Code: code, Message: msg, Field: linkwatch.ErrorField(err)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}
