package qrcode

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch"
)

const shortURL = "http://localhost:8080/abc123?lw=qr"

var levels = []Level{L, M, Q, H}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want Level
	}{
		{"L", L}, {"l", L}, {"M", M}, {"m", M}, {"Q", Q}, {"q", Q}, {"H", H}, {"h", H},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
		}
		if got.String() != strings.ToUpper(tt.in) {
			t.Errorf("Level(%d).String() = %q, want %q", got, got.String(), strings.ToUpper(tt.in))
		}
	}
	for _, in := range []string{"", "X", "LL", " L", "low", "0", "7%"} {
		_, err := ParseLevel(in)
		if linkwatch.ErrorCode(err) != linkwatch.EINVALID || linkwatch.ErrorField(err) != "level" {
			t.Errorf("ParseLevel(%q) error = %v, want an invalid-level error", in, err)
		}
		if err != nil && !strings.Contains(err.Error(), "L, M, Q or H") {
			t.Errorf("ParseLevel(%q) error %q does not list the valid levels", in, err)
		}
	}
}

func TestLevelStringInvalid(t *testing.T) {
	if got := Level(9).String(); got != "Level(9)" {
		t.Errorf("Level(9).String() = %q, want %q", got, "Level(9)")
	}
}

// roundTripTexts fit in MinSize pixels at every level, so every combination
// of text, level and size below must decode.
var roundTripTexts = []string{
	shortURL,
	"https://lnk.example/x",
	"HTTPS://LNK.EXAMPLE/ABC-123", // alphanumeric mode
	"0123456789012345678901234",   // numeric mode
	"https://例え.jp/ünïcode?q=✓",
	"a",
}

func TestPNGRoundTrip(t *testing.T) {
	for _, text := range roundTripTexts {
		for _, level := range levels {
			for _, size := range []int{MinSize, DefaultSize, 1024} {
				b, err := PNG(text, size, level)
				if err != nil {
					t.Fatalf("PNG(%q, %d, %v): %v", text, size, level, err)
				}
				got, err := Decode(b)
				if err != nil {
					t.Fatalf("Decode(PNG(%q, %d, %v)): %v", text, size, level, err)
				}
				if got != text {
					t.Errorf("Decode(PNG(%q, %d, %v)) = %q", text, size, level, got)
				}
			}
		}
	}
}

func TestPNGRoundTripLong(t *testing.T) {
	long := "http://localhost:8080/abc123?lw=qr&utm_source=print&utm_medium=poster&utm_campaign=" +
		strings.Repeat("spring-sale-", 20) + "&ref=" + strings.Repeat("x", 100)
	tests := []struct {
		name  string
		text  string
		level Level
		size  int
	}{
		{"long URL at H", long, H, 1024},
		{"long URL at L", long, L, DefaultSize},
		{"byte capacity at L", strings.Repeat("z", 2953), L, MaxSize},
		{"byte capacity at H", strings.Repeat("z", 1273), H, 1024},
		{"numeric capacity at L", strings.Repeat("7", 7089), L, MaxSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := PNG(tt.text, tt.size, tt.level)
			if err != nil {
				t.Fatalf("PNG: %v", err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != tt.text {
				t.Errorf("Decode = %q, want %q", got, tt.text)
			}
		})
	}
}

func TestPNGImage(t *testing.T) {
	for _, size := range []int{MinSize, 100, DefaultSize, 333, 1024, MaxSize} {
		b, err := PNG(shortURL, size, M)
		if err != nil {
			t.Fatalf("PNG(size %d): %v", size, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("png.Decode(size %d): %v", size, err)
		}
		if got := img.Bounds(); got != image.Rect(0, 0, size, size) {
			t.Errorf("size %d: bounds = %v", size, got)
		}
		p, ok := img.(*image.Paletted)
		if !ok || len(p.Palette) != 2 {
			t.Fatalf("size %d: image is %T, want a two-colour paletted image", size, img)
		}
		// The quiet zone is at least four modules, the code at most 29+8
		// modules here, so the outer size*4/37 pixels on every side are white.
		border := size * 4 / 37
		dark := 0
		for y := range size {
			for x := range size {
				if p.ColorIndexAt(x, y) == 0 {
					continue
				}
				dark++
				if x < border || y < border || x >= size-border || y >= size-border {
					t.Fatalf("size %d: dark pixel (%d,%d) in the quiet zone", size, x, y)
				}
			}
		}
		if dark == 0 {
			t.Errorf("size %d: no dark pixels", size)
		}
	}
}

func TestPNGIsSmall(t *testing.T) {
	b, err := PNG(shortURL, DefaultSize, M)
	if err != nil {
		t.Fatal(err)
	}
	// A 1-bit image of large flat blocks compresses to well under 1 KiB; an
	// 8-bit or RGBA encoding would not.
	if len(b) > 1024 {
		t.Errorf("PNG of %s at %d px is %d bytes, want at most 1024", shortURL, DefaultSize, len(b))
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		size  int
		level Level
		field string
	}{
		{"level too high", shortURL, DefaultSize, H + 1, "level"},
		{"level negative", shortURL, DefaultSize, -1, "level"},
		{"size zero", shortURL, 0, M, "size"},
		{"size below minimum", shortURL, MinSize - 1, M, "size"},
		{"size above maximum", shortURL, MaxSize + 1, M, "size"},
		{"empty text", "", DefaultSize, M, "text"},
		{"invalid UTF-8", "http://localhost/\xff\xfe", DefaultSize, M, "text"},
		{"bytes over capacity at L", strings.Repeat("z", 2954), MaxSize, L, "text"},
		{"bytes over capacity at H", strings.Repeat("z", 1274), MaxSize, H, "text"},
		{"digits over capacity", strings.Repeat("7", 7090), MaxSize, L, "text"},
		{"megabyte of text", strings.Repeat("z", 1<<20), MaxSize, L, "text"},
		{"code larger than size", strings.Repeat("z", 2953), MinSize, L, "size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, render := range map[string]func(string, int, Level) ([]byte, error){"PNG": PNG, "SVG": SVG} {
				b, err := render(tt.text, tt.size, tt.level)
				if b != nil {
					t.Errorf("%s returned %d bytes with error %v", name, len(b), err)
				}
				if linkwatch.ErrorCode(err) != linkwatch.EINVALID || linkwatch.ErrorField(err) != tt.field {
					t.Errorf("%s error = %v, want an invalid %q error", name, err, tt.field)
				}
			}
		})
	}
}

// FuzzPNGRoundTrip checks that every text PNG accepts decodes back to
// itself, and that PNG refuses the rest with an invalid-input error.
func FuzzPNGRoundTrip(f *testing.F) {
	for _, text := range roundTripTexts {
		f.Add(text, uint8(M))
	}
	f.Fuzz(func(t *testing.T, text string, level uint8) {
		lv := Level(level % 4)
		b, err := PNG(text, DefaultSize, lv)
		if err != nil {
			if linkwatch.ErrorCode(err) != linkwatch.EINVALID {
				t.Fatalf("PNG(%q, DefaultSize, %v) error = %v, want an invalid-input error", text, lv, err)
			}
			return
		}
		got, err := Decode(b)
		if err != nil || got != text {
			t.Fatalf("Decode(PNG(%q, DefaultSize, %v)) = %q, %v", text, lv, got, err)
		}
	})
}

func BenchmarkPNG(b *testing.B) {
	for _, size := range []int{DefaultSize, 1024} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			for b.Loop() {
				if _, err := PNG(shortURL, size, M); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSVG(b *testing.B) {
	for b.Loop() {
		if _, err := SVG(shortURL, DefaultSize, M); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRenderDefaults checks that Render with Defaults is the PNG the API
// serves without parameters, and that it reads back.
func TestRenderDefaults(t *testing.T) {
	const text = "https://lnk.example.com/spring?qr=1"
	img, ctype, err := Render(text, Defaults)
	if err != nil || ctype != "image/png" {
		t.Fatalf("Render = %q, %v", ctype, err)
	}
	want, err := PNG(text, DefaultSize, M)
	if err != nil || !bytes.Equal(img, want) {
		t.Errorf("Render(Defaults) differs from PNG(text, DefaultSize, M): %v", err)
	}
	if got, err := Decode(img); err != nil || got != text {
		t.Errorf("Decode = %q, %v", got, err)
	}
	svg, ctype, err := Render(text, Options{Format: FormatSVG, Size: DefaultSize, Level: H})
	if want, _ := SVG(text, DefaultSize, H); err != nil || ctype != "image/svg+xml" || !bytes.Equal(svg, want) {
		t.Errorf("Render(svg) = %q, %v; want SVG's output", ctype, err)
	}
}
