package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/qrcode"
)

// Scans is what the scan statistics need from storage.
type Scans interface {
	ScanStats(ctx context.Context, q linkwatch.ScanQuery) (*linkwatch.ScanStats, error)
}

const maxBuckets = 10000

type scanStatsJSON struct {
	Total     int64           `json:"total"`
	QR        int64           `json:"qr"`
	Link      int64           `json:"link"`
	Bots      int64           `json:"bots"`
	From      time.Time       `json:"from"`
	To        time.Time       `json:"to"`
	Bucket    string          `json:"bucket"`
	Series    []seriesPoint   `json:"series"`
	Referrers []referrerCount `json:"referrers"`
	Devices   []deviceCount   `json:"devices"`
}

type seriesPoint struct {
	T     time.Time `json:"t"`
	Count int64     `json:"count"`
}

type referrerCount struct {
	Host  string `json:"host"`
	Count int64  `json:"count"`
}

type deviceCount struct {
	Device string `json:"device"`
	Count  int64  `json:"count"`
}

func (a *API) scanStats() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, err := a.links.LinkBySlug(r.Context(), domainParam(r), slugParam(r))
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		q, err := scanQuery(r, a.now())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		q.LinkID = l.ID
		st, err := a.scans.ScanStats(r.Context(), q)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		out := scanStatsJSON{
			Total: st.Total, QR: st.QR, Link: st.Link, Bots: st.Bots, From: q.From, To: q.To,
			Bucket: formatBucket(q.Bucket), Series: []seriesPoint{}, Referrers: []referrerCount{}, Devices: []deviceCount{},
		}
		for _, b := range st.Series {
			out.Series = append(out.Series, seriesPoint{b.T, b.Count})
		}
		for _, c := range st.Referrers {
			out.Referrers = append(out.Referrers, referrerCount{c.Key, c.Count})
		}
		for _, c := range st.Devices {
			out.Devices = append(out.Devices, deviceCount{c.Key, c.Count})
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// scanQuery reads from, to (RFC 3339; default the last 24 hours) and bucket
// (a duration, or Nd for days; default 1h).
func scanQuery(r *http.Request, now time.Time) (linkwatch.ScanQuery, error) {
	q := r.URL.Query()
	sq := linkwatch.ScanQuery{To: now.UTC(), Bucket: time.Hour}
	bad := func(field, msg string) error {
		return &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: field, Message: msg}
	}
	if s := q.Get("to"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return sq, bad("to", "to must be an RFC 3339 time")
		}
		sq.To = t.UTC()
	}
	sq.From = sq.To.Add(-24 * time.Hour)
	if s := q.Get("from"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return sq, bad("from", "from must be an RFC 3339 time")
		}
		sq.From = t.UTC()
	}
	if !sq.From.Before(sq.To) {
		return sq, bad("from", "from must be before to")
	}
	if s := q.Get("bucket"); s != "" {
		d, ok := parseBucket(s)
		if !ok || d < time.Minute {
			return sq, bad("bucket", "bucket must be a duration of at least 1m, such as 5m, 1h or 1d")
		}
		sq.Bucket = d
	}
	if sq.To.Sub(sq.From)/sq.Bucket > maxBuckets {
		return sq, bad("bucket", "the range holds more than 10000 buckets; use a larger bucket")
	}
	return sq, nil
}

func parseBucket(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err == nil && n > 0 && n <= 366
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

func formatBucket(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

// qrImage serves the link's QR code as PNG or SVG. The code encodes the short
// URL with the QR marker, so its scans are counted as source "qr".
func (a *API) qrImage(format string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, err := a.links.LinkBySlug(r.Context(), domainParam(r), slugParam(r))
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		q := r.URL.Query()
		opts := qrcode.Defaults
		opts.Format = qrcode.Format(format)
		if s := q.Get("size"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < qrcode.MinSize || n > qrcode.MaxSize {
				writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: "size",
					Message: "size must be a number of pixels from " + strconv.Itoa(qrcode.MinSize) + " to " + strconv.Itoa(qrcode.MaxSize)})
				return
			}
			opts.Size = n
		}
		if s := q.Get("ecc"); s != "" {
			if opts.Level, err = qrcode.ParseLevel(s); err != nil {
				writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: "ecc", Message: "ecc must be L, M, Q or H"})
				return
			}
		}
		img, ctype, err := qrcode.Render(l.QRURL(a.cfg.PublicURL), opts)
		if err != nil {
			writeError(w, r, a.log, linkwatch.Internal(err))
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "private, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(img)
	})
}
