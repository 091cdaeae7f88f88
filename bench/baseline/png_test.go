package baseline

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// modules draws a QR-like image: size×size pixels of black and white
// squares of a 33-module grid (a version 4 code, as a short URL needs),
// with a quiet zone, in a two-colour palette.
func modules(size int) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	const grid, quiet = 33, 4
	cell := size / (grid + 2*quiet)
	if cell < 1 {
		cell = 1
	}
	for y := range size {
		for x := range size {
			mx, my := x/cell-quiet, y/cell-quiet
			if mx >= 0 && my >= 0 && mx < grid && my < grid && (mx*7+my*13+mx*my)%3 == 0 {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	return img
}

// BenchmarkPNGEncode encodes a QR-like two-colour image with image/png:
// the baseline of qrcode's BenchmarkPNG at the same sizes (drawing the
// modules is outside the timer; finding them is what qrcode adds).
func BenchmarkPNGEncode(b *testing.B) {
	for _, size := range []int{256, 1024} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			img := modules(size)
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := png.Encode(&buf, img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPNGDecode decodes a 64×64 QR-like PNG with image/png: the
// baseline of qrcode's BenchmarkDecode (which decodes a PNG of the
// smallest size and then reads the code in it).
func BenchmarkPNGDecode(b *testing.B) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, modules(64)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestModulesHaveBothColours(t *testing.T) {
	for _, size := range []int{64, 256, 1024} {
		img := modules(size)
		var black int
		for _, p := range img.Pix {
			black += int(p)
		}
		if black == 0 || black == len(img.Pix) {
			t.Errorf("modules(%d): %d of %d pixels black, want some of each", size, black, len(img.Pix))
		}
	}
}
