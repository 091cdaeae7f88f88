package statuspage

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"unicode/utf8"
)

// Badges in shields.io's "flat" style: a grey label and a coloured
// message, text widths estimated from Verdana 11px advance widths. All
// text goes through encoding/xml's escaping.

// Shields' named colours.
const (
	badgeBrightGreen = "#4c1"
	badgeGreen       = "#97ca00"
	badgeYellow      = "#dfb317"
	badgeOrange      = "#fe7d37"
	badgeRed         = "#e05d44"
	badgeBlue        = "#007ec6"
	badgeGrey        = "#9f9f9f"
	badgeLabelGrey   = "#555"
)

// badgeMaxLabel bounds a ?label= (runes).
const badgeMaxLabel = 64

var badgeStatus = map[string]struct{ words, colour string }{
	Operational:         {"operational", badgeBrightGreen},
	DegradedPerformance: {"degraded performance", badgeYellow},
	PartialOutage:       {"partial outage", badgeOrange},
	MajorOutage:         {"major outage", badgeRed},
	UnderMaintenance:    {"under maintenance", badgeBlue},
}

// statusBadge is a component's status badge.
func statusBadge(label, status string) []byte {
	s, ok := badgeStatus[status]
	if !ok {
		s.words, s.colour = humanize(status), badgeGrey
		if status == "" {
			s.words = "unknown"
		}
	}
	return renderBadge(label, s.words, s.colour)
}

// uptimeBadge is a component's uptime badge over a window.
func uptimeBadge(label string, f Figure) []byte {
	if !f.OK {
		return renderBadge(label, "no data", badgeGrey)
	}
	colour := badgeRed
	switch {
	case f.Value >= 0.999:
		colour = badgeBrightGreen
	case f.Value >= 0.99:
		colour = badgeGreen
	case f.Value >= 0.95:
		colour = badgeOrange
	}
	return renderBadge(label, formatPercent(f.Value), colour)
}

// verdana11 holds Verdana's advance widths at 11px for ASCII 32–126.
var verdana11 = [95]float64{
	3.87, 4.33, 5.05, 9.00, 7.00, 11.84, 7.99, 2.95, 4.99, 4.99, 7.00, 9.00, 4.00, 4.99, 4.00, 4.99, // ␠ to /
	7.00, 7.00, 7.00, 7.00, 7.00, 7.00, 7.00, 7.00, 7.00, 7.00, // 0–9
	4.99, 4.99, 9.00, 9.00, 9.00, 6.00, 11.00, // : to @
	7.52, 7.54, 7.68, 8.48, 6.96, 6.32, 8.53, 8.27, 4.63, 5.00, 7.62, 6.12, 9.27, // A–M
	8.23, 8.66, 6.63, 8.66, 7.65, 7.52, 6.78, 8.05, 7.52, 10.88, 7.54, 6.77, 7.54, // N–Z
	4.99, 4.99, 4.99, 9.00, 7.00, 7.00, // [ to `
	6.61, 6.85, 5.73, 6.85, 6.55, 3.87, 6.85, 6.96, 3.02, 3.79, 6.51, 3.02, 10.71, // a–m
	6.96, 6.68, 6.85, 6.85, 4.69, 5.73, 4.33, 6.96, 6.51, 9.00, 6.51, 6.51, 5.78, // n–z
	6.98, 4.99, 6.98, 9.00, // { to ~
}

// textWidth estimates a string's width in Verdana 11px.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r >= 32 && r <= 126:
			w += verdana11[r-32]
		case r >= 0x1100 && isWide(r):
			w += 11
		default:
			w += 7
		}
	}
	return w
}

// isWide: CJK and other full-width ranges, roughly.
func isWide(r rune) bool {
	return (r >= 0x1100 && r <= 0x115f) || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
		(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) ||
		(r >= 0xffe0 && r <= 0xffe6) || (r >= 0x1f300 && r <= 0x1faff) || (r >= 0x20000 && r <= 0x3fffd)
}

// badgeLabel cleans a label: valid UTF-8, at most badgeMaxLabel runes.
func badgeLabel(s string) string {
	if !utf8.ValidString(s) {
		s = string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
	}
	if utf8.RuneCountInString(s) > badgeMaxLabel {
		n := 0
		for i := range s {
			if n == badgeMaxLabel-1 {
				s = s[:i] + "…"
				break
			}
			n++
		}
	}
	return s
}

// renderBadge draws the flat badge. Text coordinates are in tenths (the
// text is drawn at font-size 110 and scaled by .1), as shields does.
func renderBadge(label, message, colour string) []byte {
	label, message = badgeLabel(label), badgeLabel(message)
	lw := int(textWidth(label)+0.5) + 10 // 5px padding each side
	mw := int(textWidth(message)+0.5) + 10
	if label == "" {
		lw = 0
	}
	total := lw + mw
	var b bytes.Buffer
	b.Grow(1200 + 4*(len(label)+len(message)))
	itoa := func(n int) { b.WriteString(strconv.Itoa(n)) }
	esc := func(s string) { _ = xml.EscapeText(&b, []byte(s)) }
	aria := message
	if label != "" {
		aria = label + ": " + message
	}

	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="`)
	itoa(total)
	b.WriteString(`" height="20" role="img" aria-label="`)
	esc(aria)
	b.WriteString(`"><title>`)
	esc(aria)
	b.WriteString(`</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="`)
	itoa(total)
	b.WriteString(`" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)">`)
	if lw > 0 {
		b.WriteString(`<rect width="`)
		itoa(lw)
		b.WriteString(`" height="20" fill="` + badgeLabelGrey + `"/>`)
	}
	b.WriteString(`<rect x="`)
	itoa(lw)
	b.WriteString(`" width="`)
	itoa(mw)
	b.WriteString(`" height="20" fill="`)
	b.WriteString(colour)
	b.WriteString(`"/><rect width="`)
	itoa(total)
	b.WriteString(`" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">`)
	text := func(s string, x, w int) {
		if s == "" {
			return
		}
		// shadow, then the text
		for _, shadow := range []bool{true, false} {
			b.WriteString(`<text`)
			if shadow {
				b.WriteString(` aria-hidden="true" fill="#010101" fill-opacity=".3" y="150"`)
			} else {
				b.WriteString(` aria-hidden="true" fill="#fff" y="140"`)
			}
			b.WriteString(` x="`)
			itoa(x)
			b.WriteString(`" transform="scale(.1)" textLength="`)
			itoa(w)
			b.WriteString(`">`)
			esc(s)
			b.WriteString(`</text>`)
		}
	}
	text(label, lw*5, (lw-10)*10)
	text(message, lw*10+mw*5, (mw-10)*10)
	b.WriteString(`</g></svg>`)
	return b.Bytes()
}
