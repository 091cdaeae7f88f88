// Package qrcode renders short links as QR codes (PNG and SVG) and decodes QR
// codes from images, so that a link's printed code can be checked to still
// encode its short URL.
//
// Encoding uses rsc.io/qr; decoding uses gozxing, an independent
// implementation, so a round trip through both really checks the encoding.
package qrcode

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"rsc.io/qr"

	"github.com/linkwatch/linkwatch"
)

// Level is a QR error-correction level: the share of the code that may be
// damaged or covered and still decode. Higher levels make larger codes.
type Level int

// The four QR error-correction levels, from smallest code to most robust.
const (
	L Level = iota // recovers about 7% of the code
	M              // recovers about 15% of the code
	Q              // recovers about 25% of the code
	H              // recovers about 30% of the code
)

// Image sizes, in pixels per side, that PNG and SVG accept.
const (
	MinSize     = 64
	MaxSize     = 2048
	DefaultSize = 256
)

// quietZone is the white border, in modules, that the QR specification
// requires around the code so scanners can find it.
const quietZone = 4

// maxTextLen is the most a QR code can hold in any mode (7089 digits in
// numeric mode at level L); longer text is rejected before trying to encode.
const maxTextLen = 7089

// ParseLevel parses "L", "M", "Q" or "H", in either case.
func ParseLevel(s string) (Level, error) {
	switch strings.ToUpper(s) {
	case "L":
		return L, nil
	case "M":
		return M, nil
	case "Q":
		return Q, nil
	case "H":
		return H, nil
	}
	return 0, linkwatch.FieldErrorf("level", "QR error-correction level %q is not one of L, M, Q or H", s)
}

// String returns the level's letter, or "Level(n)" for an invalid level.
func (l Level) String() string {
	if l.valid() {
		return "LMQH"[l : l+1]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

func (l Level) valid() bool { return l >= L && l <= H }

// code is an encoded QR symbol laid out for rendering: n modules per side
// including the quiet zone.
type code struct {
	qr *qr.Code
	n  int
}

// dark reports whether module (x, y) is dark; coordinates include the quiet
// zone, which is always light.
func (c code) dark(x, y int) bool {
	return c.qr.Black(x-quietZone, y-quietZone)
}

// encode validates text, size and level and encodes text as a QR symbol.
// It checks that the symbol fits in size pixels at one or more pixels per
// module, so PNG and SVG accept and refuse exactly the same requests.
func encode(text string, size int, level Level) (code, error) {
	if !level.valid() {
		return code{}, linkwatch.FieldErrorf("level", "QR error-correction level %d is not one of L, M, Q or H", int(level))
	}
	if size < MinSize || size > MaxSize {
		return code{}, linkwatch.FieldErrorf("size", "size %d is outside %d..%d pixels", size, MinSize, MaxSize)
	}
	if text == "" {
		return code{}, linkwatch.FieldErrorf("text", "text to encode is empty")
	}
	tooLong := linkwatch.FieldErrorf("text", "text of %d bytes is too long for a QR code at level %s", len(text), level)
	if len(text) > maxTextLen {
		return code{}, tooLong
	}
	if !utf8.ValidString(text) {
		// Scanners read unmarked bytes as UTF-8; anything else would not
		// decode back to the same text.
		return code{}, linkwatch.FieldErrorf("text", "text to encode is not valid UTF-8")
	}
	q, err := qr.Encode(text, qr.Level(level))
	if err != nil {
		// qr.Encode fails only when no QR version can hold the text.
		tooLong.Err = err
		return code{}, tooLong
	}
	c := code{qr: q, n: q.Size + 2*quietZone}
	if c.n > size {
		return code{}, linkwatch.FieldErrorf("size",
			"size %d is too small for this text at level %s: the code needs at least %d pixels", size, level, c.n)
	}
	return c, nil
}
