package dashboard

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/linkwatch/linkwatch/qrcode"
)

// QR code downloads under the session: the same image the API serves
// (qrcode.Render of the link's QR URL), without an Authorization header,
// as an attachment with a file name that says what it is.

// qrSizes are the sizes the link page offers, in pixels per side.
func qrSizes() []int { return []int{256, 512, 1024, 2048} }

// qrDownload serves /dashboard/links/{slug}/qr.png and qr.svg:
// ?size= (pixels, qrcode.MinSize to MaxSize) and ?ecc= (L, M, Q or H).
func (d *Dashboard) qrDownload(format qrcode.Format) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l, ok := d.findLink(w, r)
		if !ok {
			return
		}
		opts := qrcode.Defaults
		opts.Format = format
		q := r.URL.Query()
		if s := q.Get("size"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < qrcode.MinSize || n > qrcode.MaxSize {
				d.renderError(w, r, http.StatusBadRequest, "The size must be a number of pixels from "+
					strconv.Itoa(qrcode.MinSize)+" to "+strconv.Itoa(qrcode.MaxSize)+".")
				return
			}
			opts.Size = n
		}
		if s := q.Get("ecc"); s != "" {
			level, err := qrcode.ParseLevel(s)
			if err != nil {
				d.renderError(w, r, http.StatusBadRequest, "The error-correction level must be L, M, Q or H.")
				return
			}
			opts.Level = level
		}
		if d.cfg.PublicURL == nil {
			d.renderError(w, r, http.StatusServiceUnavailable, "The server has no public URL, so it cannot draw QR codes.")
			return
		}
		img, ctype, err := qrcode.Render(l.QRURL(d.cfg.PublicURL), opts)
		if err != nil {
			d.log.Error("dashboard: drawing a QR code failed", "slug", l.Slug, "err", err)
			d.renderError(w, r, http.StatusInternalServerError, "The QR code could not be drawn.")
			return
		}
		// Slugs are letters, digits, '-' and '_'; domains are host names.
		name := l.Slug
		if l.Domain != "" {
			name = l.Domain + "-" + name
		}
		name += "-qr-" + strconv.Itoa(opts.Size) + "px-" + opts.Level.String() + "." + string(format)
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		h.Set("Cache-Control", "private, no-store")
		w.Write(img)
	}
}
