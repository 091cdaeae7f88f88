package prober

import (
	"fmt"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/qrcode"
)

// qrSize and qrLevel are what the API serves by default, so the check reads
// the code campaign owners print.
const (
	qrSize  = qrcode.DefaultSize
	qrLevel = qrcode.M
)

// CheckQR checks step 3: the link's QR code, rendered as the API renders it
// and decoded by an independent decoder, must read back as the link's QR URL.
//
// Its result's Step is always StepQR, passing or not, so QR results are never
// mistaken for destination checks; it has no Phases, so decoding time is not
// counted as the link's latency.
func (c *Checker) CheckQR(l *linkwatch.Link) linkwatch.Result {
	res := c.newResult(linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID})
	res.Step = linkwatch.StepQR
	want := l.QRURL(c.cfg.PublicURL)
	png, err := qrcode.PNG(want, qrSize, qrLevel)
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
