package qrcode

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/linkwatch/linkwatch"
)

func TestDecodeFormats(t *testing.T) {
	b, err := PNG(shortURL, DefaultSize, M)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		encode func(*bytes.Buffer, image.Image) error
	}{
		{"PNG", func(w *bytes.Buffer, m image.Image) error { return png.Encode(w, m) }},
		{"JPEG", func(w *bytes.Buffer, m image.Image) error { return jpeg.Encode(w, m, &jpeg.Options{Quality: 60}) }},
		{"GIF", func(w *bytes.Buffer, m image.Image) error { return gif.Encode(w, m, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			got, err := Decode(buf.Bytes())
			if err != nil || got != shortURL {
				t.Errorf("Decode = %q, %v; want %q", got, err, shortURL)
			}
		})
	}
}

// TestDecodeInPicture finds a code that is a small part of a larger, grey
// image, as in a photograph or a scanned flyer.
func TestDecodeInPicture(t *testing.T) {
	b, err := PNG(shortURL, 128, Q)
	if err != nil {
		t.Fatal(err)
	}
	code, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	pic := image.NewGray(image.Rect(0, 0, 640, 480))
	for i := range pic.Pix {
		pic.Pix[i] = 0x90
	}
	at := image.Pt(400, 300)
	for y := range 128 {
		for x := range 128 {
			pic.Set(at.X+x, at.Y+y, code.At(x, y))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, pic); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf.Bytes())
	if err != nil || got != shortURL {
		t.Errorf("Decode = %q, %v; want %q", got, err, shortURL)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"garbage", []byte("this is not an image at all, just some text")},
		{"truncated PNG", mustPNG(t)[:60]},
		{"PNG header only", []byte("\x89PNG\r\n\x1a\n")},
		{"blank image", encodePNG(t, blank(200, 200))},
		{"one pixel", encodePNG(t, blank(1, 1))},
		{"huge dimensions", pngHeader(100000, 100000)},
		{"too many pixels", pngHeader(8000, 8000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.data)
			if err == nil {
				t.Fatalf("Decode = %q, nil; want an error", got)
			}
			if linkwatch.ErrorCode(err) != linkwatch.EINVALID || linkwatch.ErrorField(err) != "image" {
				t.Errorf("Decode error = %v, want an invalid \"image\" error", err)
			}
		})
	}
}

func mustPNG(t testing.TB) []byte {
	b, err := PNG(shortURL, MinSize, L)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func blank(w, h int) image.Image {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeader returns a PNG signature and a valid IHDR chunk claiming w×h
// 8-bit grey pixels, with no pixel data: what a decompression bomb starts
// with.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 4+13)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12] = 8 // bit depth; colour type 0 (grey) and the rest stay zero
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}

// FuzzDecode checks that Decode never panics and fails only with an invalid
// image error, whatever the bytes. Seeds live in testdata/fuzz/FuzzDecode;
// the freshly rendered code added here keeps one seed current with PNG.
func FuzzDecode(f *testing.F) {
	f.Add(mustPNG(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := Decode(data)
		if err != nil {
			if text != "" {
				t.Errorf("Decode returned text %q with error %v", text, err)
			}
			if linkwatch.ErrorCode(err) != linkwatch.EINVALID || linkwatch.ErrorField(err) != "image" {
				t.Errorf("Decode error = %v, want an invalid \"image\" error", err)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	data := mustPNG(b)
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
