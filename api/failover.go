package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/linkwatch/linkwatch"
)

// Reasons a link gives for what it serves after an owner's change; the
// automatic switches' reasons are the alert engine's.
const (
	reasonPinnedFallback = "pinned to the fallback by hand"
	reasonPinnedPrimary  = "pinned to the primary by hand"
	reasonAutomatic      = "automatic"
	reasonOff            = "automatic failover turned off"
)

// FailoverDoc is what a link serves and why, as /health and the failover
// route show it.
type FailoverDoc struct {
	// Active is whether visitors get the fallback because of failover.
	Active bool                   `json:"active"`
	Mode   linkwatch.FailoverMode `json:"mode"`
	Since  *time.Time             `json:"since"`
	Reason string                 `json:"reason"`
}

func newFailoverJSON(l *linkwatch.Link, now time.Time) *FailoverDoc {
	f := &FailoverDoc{Active: l.FailoverActive(now), Mode: l.Failover, Reason: l.FailoverReason}
	if f.Mode == "" {
		f.Mode = linkwatch.FailoverAuto
	}
	if !l.FailoverSince.IsZero() {
		since := l.FailoverSince
		f.Since = &since
	}
	return f
}

// failoverSetting is the `failover` field of a link create or PATCH: "auto"
// or "off". Anything else is kept as an error for validation to report (422,
// naming the values), so a client still sending the old boolean learns what
// to send instead of a bare type error.
type failoverSetting struct {
	mode linkwatch.FailoverMode
	err  error
}

func (f *failoverSetting) UnmarshalJSON(b []byte) error {
	var s string
	switch {
	case json.Unmarshal(b, new(bool)) == nil:
		f.err = linkwatch.FieldErrorf("failover", `failover is a mode now, not a boolean: "auto" (fail over to fallback_url when the destination is down) or "off"`)
	case json.Unmarshal(b, &s) != nil:
		f.err = linkwatch.FieldErrorf("failover", `failover must be "auto" or "off"`)
	case s == string(linkwatch.FailoverAuto) || s == string(linkwatch.FailoverOff):
		f.mode = linkwatch.FailoverMode(s)
	case s == string(linkwatch.FailoverFallback) || s == string(linkwatch.FailoverPrimary):
		f.err = linkwatch.FieldErrorf("failover", `failover must be "auto" or "off"; to pin %q use POST /api/v1/links/{slug}/failover`, s)
	default:
		f.err = linkwatch.FieldErrorf("failover", `failover must be "auto" or "off"`)
	}
	return nil
}

// setFailoverMode switches l to mode at now with the owner's reason, and
// leaves the engine's decision (FailedOver) as it is: unpinned to auto, a
// link the engine has failed over keeps serving the fallback. Setting the
// mode it already has changes nothing.
func setFailoverMode(l *linkwatch.Link, mode linkwatch.FailoverMode, now time.Time) {
	if l.Failover == mode {
		return
	}
	l.Failover, l.FailoverSince = mode, now
	switch mode {
	case linkwatch.FailoverFallback:
		l.FailoverReason = reasonPinnedFallback
	case linkwatch.FailoverPrimary:
		l.FailoverReason = reasonPinnedPrimary
	case linkwatch.FailoverOff:
		l.FailoverReason = reasonOff
	default:
		l.FailoverReason = reasonAutomatic
	}
}

// failoverRequest is the body of POST /api/v1/links/{slug}/failover.
type failoverRequest struct {
	Mode string `json:"mode"`
}

func (req *failoverRequest) mode() (linkwatch.FailoverMode, error) {
	switch m := linkwatch.FailoverMode(req.Mode); m {
	case linkwatch.FailoverAuto, linkwatch.FailoverFallback, linkwatch.FailoverPrimary:
		return m, nil
	case "":
		return "", linkwatch.FieldErrorf("mode", `mode is required: "auto", "fallback" or "primary"`)
	case linkwatch.FailoverOff:
		return "", linkwatch.FieldErrorf("mode", `mode must be "auto", "fallback" or "primary"; to turn failover off, PATCH the link with {"failover":"off"}`)
	}
	return "", linkwatch.FieldErrorf("mode", `mode must be "auto", "fallback" or "primary"`)
}

// setFailover pins a link to its fallback or primary by hand, or hands it
// back to the automatic decision. It writes through UpdateLink, so every
// redirector replica hears the change as it hears any edit.
func (a *API) setFailover() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req failoverRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		mode, err := req.mode()
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now()
		l, err := a.links.UpdateLink(r.Context(), domainParam(r), slugParam(r), func(l *linkwatch.Link) error {
			if mode == linkwatch.FailoverFallback && l.FallbackURL == "" {
				return linkwatch.FieldErrorf("mode", "the link has no fallback_url to pin to; set one first")
			}
			if l.Failover != mode {
				l.UpdatedAt = now
			}
			setFailoverMode(l, mode, now)
			return nil
		})
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("link failover set", "slug", l.Slug, "domain", l.Domain, "mode", mode, "by", tokenName(r))
		writeJSON(w, http.StatusOK, newFailoverJSON(l, now))
	})
}
