package prober

import (
	"testing"

	"github.com/linkwatch/linkwatch"
)

// TestWireCarriesWhatTheShortLinkServes: a remote prober expects the
// fallback exactly when the redirector serves it, pins included.
func TestWireCarriesWhatTheShortLinkServes(t *testing.T) {
	for _, tt := range []struct {
		mode       linkwatch.FailoverMode
		failedOver bool
		want       bool
	}{
		{linkwatch.FailoverAuto, true, true},
		{linkwatch.FailoverAuto, false, false},
		{linkwatch.FailoverFallback, false, true},
		{linkwatch.FailoverPrimary, true, false},
		{linkwatch.FailoverOff, true, false},
	} {
		l := &linkwatch.Link{ID: 1, Destination: "https://shop.example.com/", FallbackURL: "https://backup.example.com/",
			RedirectCode: 301, Failover: tt.mode, FailedOver: tt.failedOver}
		got := LinkToWire(LinkAssignment{Link: l}).Assignment().Link
		if got.ServesFallback() != tt.want {
			t.Errorf("%s, failed over %v: the prober expects the fallback: %v, want %v", tt.mode, tt.failedOver, got.ServesFallback(), tt.want)
		}
	}
}
