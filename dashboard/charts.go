package dashboard

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Charts are drawn on the server as inline SVG: no script, no build step,
// and each one has a text alternative (an aria-label, and the numbers in a
// table beside it on the link page).

func nan() float64 { return math.NaN() }

// sparkline is a small line of a week's daily scans.
type sparkline struct {
	Width, Height int
	Points        string // the polyline's "x,y x,y …"
	Label         string // the values in words
}

func newSparkline(values []int64) sparkline {
	s := sparkline{Width: 84, Height: 22}
	var top int64 = 1
	for _, v := range values {
		top = max(top, v)
	}
	step := float64(s.Width-4) / float64(max(len(values)-1, 1))
	var pts, words []string
	for i, v := range values {
		x := 2 + float64(i)*step
		y := float64(s.Height-2) - float64(v)/float64(top)*float64(s.Height-4)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		words = append(words, fmt.Sprint(v))
	}
	s.Points = strings.Join(pts, " ")
	s.Label = "Scans per day over the last 7 days, oldest first: " + strings.Join(words, ", ")
	return s
}

// bar is one bucket of a stacked bar chart: QR scans below, link clicks
// above.
type bar struct {
	X, W         float64
	QRY, QRH     float64
	LinkY, LinkH float64
	T            time.Time
	QR, Link     int64
	Title        string
}

// scansChart is the link page's scans over time, QR scans against link
// clicks.
type scansChart struct {
	Width, Height int
	Bars          []bar
	Max           int64
	From, To      time.Time
	Label         string
	QR, Link      int64 // totals
}

// chartWidth and chartHeight are every large chart's drawing size; the
// SVG scales to the page.
const (
	chartWidth  = 720
	chartHeight = 180
	chartTop    = 10 // room above the tallest bar
	chartBottom = 4
)

func newScansChart(buckets []scanPoint, by time.Duration) scansChart {
	c := scansChart{Width: chartWidth, Height: chartHeight, Max: 1}
	for _, b := range buckets {
		c.Max = max(c.Max, b.QR+b.Link)
		c.QR += b.QR
		c.Link += b.Link
	}
	if len(buckets) == 0 {
		return c
	}
	c.From, c.To = buckets[0].T, buckets[len(buckets)-1].T.Add(by)
	w := float64(chartWidth) / float64(len(buckets))
	plot := float64(chartHeight - chartTop - chartBottom)
	for i, b := range buckets {
		qrH := float64(b.QR) / float64(c.Max) * plot
		linkH := float64(b.Link) / float64(c.Max) * plot
		base := float64(chartHeight - chartBottom)
		c.Bars = append(c.Bars, bar{
			X: float64(i)*w + w*0.1, W: w * 0.8,
			QRY: base - qrH, QRH: qrH, LinkY: base - qrH - linkH, LinkH: linkH,
			T: b.T, QR: b.QR, Link: b.Link,
			Title: fmt.Sprintf("%s: %d QR scans, %d link clicks", bucketWords(b.T, by), b.QR, b.Link),
		})
	}
	c.Label = fmt.Sprintf("Scans %s: %d QR scans and %d link clicks in all; the busiest %s had %d.",
		spanWords(by, len(buckets)), c.QR, c.Link, unitWord(by), c.Max)
	return c
}

// scanPoint is one bucket of scans, zero buckets included.
type scanPoint struct {
	T        time.Time
	QR, Link int64
}

// latencyChart is the link page's response times: p95 and average per
// bucket, over every region.
type latencyChart struct {
	Width, Height int
	P95, Avg      []string // polylines; a bucket without checks breaks them
	Max           time.Duration
	Label         string
	Points        []latencyPoint
}

// latencyPoint is one bucket of the latency chart.
type latencyPoint struct {
	T        time.Time
	P95, Avg time.Duration
	Checks   int64
	Failures int64
}

func newLatencyChart(points []latencyPoint, by time.Duration) latencyChart {
	c := latencyChart{Width: chartWidth, Height: chartHeight, Points: points, Max: time.Millisecond}
	for _, p := range points {
		c.Max = max(c.Max, p.P95, p.Avg)
	}
	if len(points) == 0 {
		return c
	}
	step := float64(chartWidth) / float64(len(points))
	plot := float64(chartHeight - chartTop - chartBottom)
	line := func(v func(latencyPoint) time.Duration) []string {
		var lines, cur []string
		for i, p := range points {
			if p.Checks == 0 {
				if len(cur) > 0 {
					lines, cur = append(lines, strings.Join(cur, " ")), nil
				}
				continue
			}
			x := step*float64(i) + step/2
			y := float64(chartHeight-chartBottom) - float64(v(p))/float64(c.Max)*plot
			cur = append(cur, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		if len(cur) > 0 {
			lines = append(lines, strings.Join(cur, " "))
		}
		// A single point draws nothing as a polyline: widen it a little.
		for i, l := range lines {
			if !strings.Contains(l, " ") {
				var x, y float64
				fmt.Sscanf(l, "%f,%f", &x, &y)
				lines[i] = fmt.Sprintf("%.1f,%.1f %.1f,%.1f", x-2, y, x+2, y)
			}
		}
		return lines
	}
	c.P95 = line(func(p latencyPoint) time.Duration { return p.P95 })
	c.Avg = line(func(p latencyPoint) time.Duration { return p.Avg })
	c.Label = fmt.Sprintf("Response time %s, every region: the 95th percentile and the average; the highest was %s.",
		spanWords(by, len(points)), humanDuration(c.Max))
	return c
}

func unitWord(by time.Duration) string {
	if by >= 24*time.Hour {
		return "day"
	}
	return "hour"
}

func spanWords(by time.Duration, n int) string {
	return fmt.Sprintf("per %s over the last %d %ss", unitWord(by), n, unitWord(by))
}

// bucketWords names a bucket: "2024-03-10" for a day, "2024-03-10 14:00"
// for an hour (UTC).
func bucketWords(t time.Time, by time.Duration) string {
	if by >= 24*time.Hour {
		return t.UTC().Format("2006-01-02")
	}
	return t.UTC().Format("2006-01-02 15:04")
}
