package prober

import (
	"fmt"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/qrcode"
)

// CheckQR checks step 3: the link's QR code, rendered exactly as the API
// serves it by default (qrcode.Render with qrcode.Defaults) and decoded by an
// independent decoder, must read back as the assigned QR text.
//
// Its result's Step is always StepQR, passing or not, so QR results are never
// mistaken for destination checks; it has no Phases, so decoding time is not
// counted as the link's latency.
func (c *Checker) CheckQR(a LinkAssignment) linkwatch.Result {
	res := c.newResult(linkwatch.Target{Kind: linkwatch.KindLink, ID: a.Link.ID})
	res.Step = linkwatch.StepQR
	want := a.QRText
	png, _, err := qrcode.Render(want, qrcode.Defaults)
	if err != nil {
		res.Class, res.Error = linkwatch.ClassQR, clip(fmt.Sprintf("rendering the QR code: %v", err), maxErrorLen)
		return res
	}
	got, err := qrcode.Decode(png)
	switch {
	case err != nil:
		res.Class, res.Error = linkwatch.ClassQR, clip(fmt.Sprintf("decoding the QR code: %v", err), maxErrorLen)
	case got != want:
		res.Class, res.Error = linkwatch.ClassQR, clip(fmt.Sprintf("the QR code reads %q, want %q", got, want), maxErrorLen)
	}
	return res
}
