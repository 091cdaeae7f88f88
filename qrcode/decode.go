package qrcode

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // Decode reads GIF codes too.
	_ "image/jpeg"
	_ "image/png"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/linkwatch/linkwatch"
)

// Limits on images given to Decode, checked from the header before any
// pixel is decoded so that a small file claiming huge dimensions cannot
// exhaust memory. They allow a 16-megapixel photo of a printed code.
const (
	maxDecodeSide   = 8192
	maxDecodePixels = 16 << 20
)

// Decode finds a QR code in a PNG, JPEG or GIF image and returns the text it
// encodes. It reads codes rendered by PNG as well as photographs and scans
// of printed codes.
//
// Decode never panics, whatever the bytes: an image it cannot read, one too
// large, one without a readable QR code, or a decoder failure all return an
// invalid-input error about the field "image" whose cause says why.
func Decode(data []byte) (text string, err error) {
	defer func() {
		// The image decoders and gozxing work on outside input; a panic in
		// either is a bug there, but must not take the caller down with it.
		if r := recover(); r != nil {
			text, err = "", invalidImage("could not decode the QR code", fmt.Errorf("decoder panicked: %v", r))
		}
	}()

	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", invalidImage("image is not a readable PNG, JPEG or GIF", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return "", invalidImage(fmt.Sprintf("image of %d×%d pixels is empty", cfg.Width, cfg.Height), nil)
	}
	if cfg.Width > maxDecodeSide || cfg.Height > maxDecodeSide || cfg.Width*cfg.Height > maxDecodePixels {
		return "", invalidImage(fmt.Sprintf("image of %d×%d pixels is larger than the limit of %d pixels a side and %d megapixels",
			cfg.Width, cfg.Height, maxDecodeSide, maxDecodePixels>>20), nil)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", invalidImage("image is not a readable PNG, JPEG or GIF", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", invalidImage("could not read the image's pixels", err)
	}

	// TRY_HARDER searches the whole image, for photographs. Its finder-
	// pattern search misses about one clean rendered code in a hundred, so
	// PURE_BARCODE, which reads a code that is alone in the image as PNG
	// draws it, is the fallback. Codes without a charset marker are read as
	// UTF-8, which is what PNG writes and what phones expect, rather than
	// guessed (a guess can turn UTF-8 into Shift_JIS).
	hints := []map[gozxing.DecodeHintType]any{
		{gozxing.DecodeHintType_TRY_HARDER: true, gozxing.DecodeHintType_CHARACTER_SET: "UTF-8"},
		{gozxing.DecodeHintType_PURE_BARCODE: true, gozxing.DecodeHintType_CHARACTER_SET: "UTF-8"},
	}
	var firstErr error
	for _, h := range hints {
		res, err := zxqr.NewQRCodeReader().Decode(bmp, h)
		if err == nil {
			return res.GetText(), nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return "", invalidImage("image contains no readable QR code", firstErr)
}

func invalidImage(msg string, cause error) error {
	return &linkwatch.Error{Code: linkwatch.EINVALID, Field: "image", Message: msg, Err: cause}
}
