package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// series is one sample line of the Prometheus text format.
type series struct {
	name   string
	labels map[string]string
	value  float64
}

// metrics is a scraped /metrics page.
type metrics []series

var scrapeClient = &http.Client{Timeout: 10 * time.Second}

// scrape fetches and parses url's Prometheus text exposition.
func scrape(url string) (metrics, error) {
	resp, err := scrapeClient.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads the text format: `name{a="x",b="y"} value [timestamp]`.
func parseMetrics(r io.Reader) (metrics, error) {
	var out metrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		s := series{labels: map[string]string{}}
		rest := line
		if i := strings.IndexAny(line, "{ "); i >= 0 && line[i] == '{' {
			s.name = line[:i]
			var err error
			if rest, err = parseLabels(line[i+1:], s.labels); err != nil {
				return nil, fmt.Errorf("metrics line %q: %v", line, err)
			}
		} else if i >= 0 {
			s.name, rest = line[:i], line[i:]
		} else {
			return nil, fmt.Errorf("metrics line %q: no value", line)
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("metrics line %q: no value", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %v", line, err)
		}
		s.value = v
		out = append(out, s)
	}
	return out, sc.Err()
}

// parseLabels reads `a="x",b="y"}` into m and returns what follows the '}'.
func parseLabels(s string, m map[string]string) (string, error) {
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			return s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 || len(s) < eq+2 || s[eq+1] != '"' {
			return "", fmt.Errorf("malformed labels")
		}
		name := strings.TrimSpace(s[:eq])
		s = s[eq+2:]
		var b strings.Builder
		i := 0
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				default:
					b.WriteByte(s[i])
				}
				continue
			}
			b.WriteByte(s[i])
		}
		if i == len(s) {
			return "", fmt.Errorf("unterminated label value")
		}
		m[name] = b.String()
		s = s[i+1:]
	}
}

// sum adds the values of every series called name whose labels include
// match (name=value pairs).
func (ms metrics) sum(name string, match ...string) float64 {
	var total float64
next:
	for _, s := range ms {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(match); i += 2 {
			if s.labels[match[i]] != match[i+1] {
				continue next
			}
		}
		total += s.value
	}
	return total
}

// by sums name per value of label.
func (ms metrics) by(name, label string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range ms {
		if s.name == name {
			out[s.labels[label]] += s.value
		}
	}
	return out
}

// histogram is a cumulative Prometheus histogram: upper bound → count of
// observations at or below it (+Inf included).
type histogram map[float64]float64

// hist collects the buckets of histogram name (summed over other labels).
func (ms metrics) hist(name string) histogram {
	h := histogram{}
	for _, s := range ms {
		if s.name != name+"_bucket" {
			continue
		}
		le, err := strconv.ParseFloat(s.labels["le"], 64)
		if err != nil {
			continue
		}
		h[le] += s.value
	}
	return h
}

// minus returns the observations of h that b does not have: the histogram
// of a window between two scrapes.
func (h histogram) minus(b histogram) histogram {
	out := histogram{}
	for le, n := range h {
		out[le] = n - b[le]
	}
	return out
}

// count is the number of observations.
func (h histogram) count() float64 { return h[math.Inf(1)] }

// quantile estimates the q-quantile as Prometheus' histogram_quantile does:
// linear interpolation within the bucket holding the rank, the lowest
// bucket starting at 0. A rank in the +Inf bucket yields the highest finite
// bound and over=true. ok is false without observations.
func (h histogram) quantile(q float64) (v float64, over, ok bool) {
	les := make([]float64, 0, len(h))
	for le := range h {
		les = append(les, le)
	}
	slices.Sort(les)
	total := h.count()
	if len(les) == 0 || total <= 0 {
		return 0, false, false
	}
	rank := q * total
	prevLE, prevN := 0.0, 0.0
	for _, le := range les {
		n := h[le]
		if n >= rank {
			if math.IsInf(le, 1) {
				return prevLE, true, true
			}
			if n == prevN {
				return le, false, true
			}
			return prevLE + (le-prevLE)*(rank-prevN)/(n-prevN), false, true
		}
		prevLE, prevN = le, n
	}
	return prevLE, true, true
}
