package qrcode

// Format is an image format Render draws.
type Format string

// Formats.
const (
	FormatPNG Format = "png"
	FormatSVG Format = "svg"
)

// Options say how a code is drawn.
type Options struct {
	Format Format
	Size   int // pixels per side, MinSize..MaxSize
	Level  Level
}

// Defaults are what the API serves without query parameters, and so what
// campaign owners print and what probers decode.
var Defaults = Options{Format: FormatPNG, Size: DefaultSize, Level: M}

// Render draws text as o says and returns the image with its content type.
// The API's QR endpoints and the prober's QR check both call it, so the code
// a prober decodes is the one the API serves.
func Render(text string, o Options) (img []byte, contentType string, err error) {
	if o.Format == FormatSVG {
		img, err = SVG(text, o.Size, o.Level)
		return img, "image/svg+xml", err
	}
	img, err = PNG(text, o.Size, o.Level)
	return img, "image/png", err
}
