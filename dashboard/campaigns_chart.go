package dashboard

import (
	"time"

	"github.com/linkwatch/linkwatch"
)

// scanWindow is the span a campaign's scans chart covers and its bucket:
// by day, the last 30 days (today included); by hour, the last 48 hours.
// Buckets are aligned to UTC, as ScanSeries counts them.
type scanWindow struct {
	By       string
	From, To time.Time
	Bucket   time.Duration
}

func scanWindowOf(by string, now time.Time) scanWindow {
	now = now.UTC()
	if by == "hour" {
		to := now.Truncate(time.Hour).Add(time.Hour)
		return scanWindow{By: "hour", From: to.Add(-48 * time.Hour), To: to, Bucket: time.Hour}
	}
	to := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	return scanWindow{By: "day", From: to.Add(-30 * 24 * time.Hour), To: to, Bucket: 24 * time.Hour}
}

// campaignScans sums the links' series into every bucket of win, empty
// ones included, and draws them as the link page does (newScansChart).
func campaignScans(win scanWindow, series map[int64][]linkwatch.SourceScans) scansChart {
	n := int(win.To.Sub(win.From) / win.Bucket)
	points := make([]scanPoint, n)
	for i := range points {
		points[i].T = win.From.Add(time.Duration(i) * win.Bucket)
	}
	for _, s := range series {
		for _, b := range s {
			if i := int(b.T.Sub(win.From) / win.Bucket); b.T.Compare(win.From) >= 0 && i < n {
				points[i].QR += b.QR
				points[i].Link += b.Link
			}
		}
	}
	return newScansChart(points, win.Bucket)
}
