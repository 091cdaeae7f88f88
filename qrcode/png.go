package qrcode

import (
	"bytes"
	"image"
	"image/color"
	"image/png"

	"github.com/linkwatch/linkwatch"
)

// PNG renders text as a black-on-white QR code exactly size×size pixels
// large, size in MinSize..MaxSize. Each module is a whole number of pixels so
// edges stay crisp; the pixels left over widen the quiet zone, which is at
// least four modules. The image is a 1-bit paletted PNG, a few hundred bytes
// for a short link.
//
// PNG returns an invalid-input error (see linkwatch.ErrorField) when the
// level or size is out of range, or the text is empty, not UTF-8, too long
// for a QR code at that level, or too long to fit in size pixels. Every text
// it accepts decodes back to itself.
func PNG(text string, size int, level Level) ([]byte, error) {
	c, err := encode(text, size, level)
	if err != nil {
		return nil, err
	}
	img := render(c, size)
	var buf bytes.Buffer
	// Default compression: BestCompression saves under 1% on these flat
	// images and takes a third to a half longer.
	if err := png.Encode(&buf, img); err != nil {
		return nil, linkwatch.Internal(err)
	}
	return buf.Bytes(), nil
}

// render draws c centred in a size×size image at the largest integer scale
// that fits.
func render(c code, size int) *image.Paletted {
	// Index 0, every pixel's zero value, is white, so only dark modules need
	// writing.
	palette := color.Palette{color.Gray{Y: 0xff}, color.Gray{Y: 0x00}}
	img := image.NewPaletted(image.Rect(0, 0, size, size), palette)
	scale := size / c.n
	offset := (size - scale*c.n) / 2
	for my := quietZone; my < c.n-quietZone; my++ {
		y0 := offset + my*scale
		row := img.Pix[y0*img.Stride : y0*img.Stride+size]
		for mx := quietZone; mx < c.n-quietZone; mx++ {
			if !c.dark(mx, my) {
				continue
			}
			x0 := offset + mx*scale
			for x := x0; x < x0+scale; x++ {
				row[x] = 1
			}
		}
		// The other pixel rows of this module row are copies of the first.
		for y := y0 + 1; y < y0+scale; y++ {
			copy(img.Pix[y*img.Stride:y*img.Stride+size], row)
		}
	}
	return img
}
