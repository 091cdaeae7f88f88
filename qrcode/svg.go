package qrcode

import (
	"bytes"
	"strconv"
)

// SVG renders text as a black-on-white QR code in SVG, size×size pixels
// large with size in MinSize..MaxSize. The viewBox is in modules, quiet zone
// included, and the dark modules are one <path> made of a rectangle per
// horizontal run, so a short link's code stays a few kilobytes and scales to
// any print size without blurring.
//
// SVG accepts and refuses exactly what PNG does, with the same errors.
func SVG(text string, size int, level Level) ([]byte, error) {
	c, err := encode(text, size, level)
	if err != nil {
		return nil, err
	}
	n := strconv.Itoa(c.n)
	px := strconv.Itoa(size)
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="` + px + `" height="` + px +
		`" viewBox="0 0 ` + n + " " + n + `" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/>`)
	b.WriteString(`<path fill="#000" d="`)
	for y := quietZone; y < c.n-quietZone; y++ {
		for x := quietZone; x < c.n-quietZone; {
			if !c.dark(x, y) {
				x++
				continue
			}
			start := x
			for x < c.n-quietZone && c.dark(x, y) {
				x++
			}
			// A run from start to x on row y: move, right, down, back, close.
			b.WriteString("M" + strconv.Itoa(start) + " " + strconv.Itoa(y) +
				"h" + strconv.Itoa(x-start) + "v1H" + strconv.Itoa(start) + "z")
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}
