package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

// The status page benchmark's helpers (bench/statuspage.sh):
//
//	benchtool statuspage seed --db F --config F.yaml
//	    writes a configuration declaring groups × per-group components, each
//	    a link, creates the links in the SQLite database F and stores days of
//	    synthetic check results for them through the store's InsertResults,
//	    so the hourly and daily rollups are the ones real probers would have
//	    produced, one day at a time, pruning the raw results past the default
//	    retention as it goes, as a server running for that long would have.
//	benchtool statuspage wait --server URL --components N
//	    waits until the page shows N components with full day bars, prints
//	    what it serves (sizes, bars) to stderr and the stylesheet's path to
//	    stdout.

func statusPage(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: benchtool statuspage seed|wait [flags]")
	}
	fs := flag.NewFlagSet("statuspage "+args[0], flag.ContinueOnError)
	db := fs.String("db", ".bench/statuspage.db", "seed: the SQLite database (created if missing)")
	cfgPath := fs.String("config", ".bench/statuspage.yaml", "seed: the configuration file to write")
	groups := fs.Int("groups", 20, "seed: component groups")
	perGroup := fs.Int("per-group", 10, "seed: components (links) per group")
	days := fs.Int("days", 90, "seed: days of history")
	perHour := fs.Int("per-hour", 1, "seed: checks per hour per link and region")
	regions := fs.String("regions", "eu-west,us-east,ap-south", "seed: the probing regions")
	dest := fs.String("dest", "http://127.0.0.1:18101", "seed: base URL of the links' destinations")
	rawRetention := fs.Duration("result-retention", 168*time.Hour, "seed: raw results kept after seeding (the server's default)")
	server := fs.String("server", "http://127.0.0.1:18102", "wait: the linkwatch server")
	components := fs.Int("components", 200, "wait: components (not groups) the page must show")
	timeout := fs.Duration("timeout", 90*time.Second, "wait: how long to wait")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "seed":
		return seedStatusPage(seedConfig{db: *db, config: *cfgPath, groups: *groups, perGroup: *perGroup, days: *days,
			perHour: *perHour, regions: strings.Split(*regions, ","), dest: strings.TrimSuffix(*dest, "/"), rawRetention: *rawRetention})
	case "wait":
		return waitStatusPage(*server, *components, *timeout)
	}
	return fmt.Errorf("unknown statuspage command %q", args[0])
}

type seedConfig struct {
	db, config       string
	groups, perGroup int
	days, perHour    int
	regions          []string
	dest             string
	rawRetention     time.Duration
}

// outage is a window in which a link fails: in every region (a major
// outage) or in one (partial).
type outage struct {
	from, to time.Time
	region   string // "" for all
}

// rnd is a small deterministic generator (splitmix64): the same seed
// gives the same history on every run.
type rnd uint64

func (r *rnd) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rnd) float() float64 { return float64(r.next()>>11) / (1 << 53) }
func (r *rnd) intn(n int) int { return int(r.next() % uint64(n)) }

func seedStatusPage(c seedConfig) error {
	ctx := context.Background()
	start := time.Now()
	if c.groups < 1 || c.perGroup < 1 || c.days < 1 || c.perHour < 1 || len(c.regions) == 0 {
		return errors.New("statuspage seed: groups, per-group, days, per-hour and regions must be positive")
	}

	// The configuration: groups of components, each watching one link.
	var cfg bytes.Buffer
	cfg.WriteString("status_title: Bench status\nstatus_components:\n")
	pos := 0
	var slugs []string
	for g := 1; g <= c.groups; g++ {
		pos++
		fmt.Fprintf(&cfg, "  - {id: g%02d, name: \"Region %02d\", is_group: true, position: %d, description: \"Links of region %02d\"}\n", g, g, pos, g)
		for i := 1; i <= c.perGroup; i++ {
			pos++
			slug := fmt.Sprintf("sp-%02d-%02d", g, i)
			slugs = append(slugs, slug)
			fmt.Fprintf(&cfg, "  - {id: c%02d-%02d, name: \"Campaign %02d-%02d\", group: g%02d, link: %s, position: %d}\n", g, i, g, i, g, slug, pos)
		}
	}
	if err := os.WriteFile(c.config, cfg.Bytes(), 0o644); err != nil {
		return err
	}

	st, err := sqlite.Open(ctx, c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	links := make([]*linkwatch.Link, len(slugs))
	for i, slug := range slugs {
		l := &linkwatch.Link{Slug: slug, Destination: destination(c.dest, i)}
		l.ApplyDefaults()
		if err := l.Validate(); err != nil {
			return fmt.Errorf("link %s: %w", slug, err)
		}
		l.CreatedAt = start.Add(-time.Duration(c.days) * 24 * time.Hour)
		l.UpdatedAt = l.CreatedAt
		if err := st.CreateLink(ctx, l); err != nil {
			return fmt.Errorf("link %s: %w", slug, err)
		}
		links[i] = l
	}

	// The history: perHour checks an hour per region, up to now; a small
	// rate of isolated failures; and for every link a few outages.
	now := start.UTC()
	from := now.Add(-time.Duration(c.days) * 24 * time.Hour).Truncate(time.Hour)
	// Time-major, one transaction a day for every link: the time indexes
	// then grow at their end, as they do under real probers.
	type linkState struct {
		r       rnd
		outages []outage
		slow    int // the destination's typical response time, ms
	}
	states := make([]linkState, len(links))
	for li := range links {
		ls := &states[li]
		ls.r = rnd(uint64(li)*1_000_003 + 17)
		for range 1 + ls.r.intn(4) {
			at := from.Add(time.Duration(ls.r.intn(c.days*24)) * time.Hour).Add(time.Duration(ls.r.intn(60)) * time.Minute)
			o := outage{from: at, to: at.Add(time.Duration(20+ls.r.intn(240)) * time.Minute)}
			if ls.r.float() < 0.6 {
				o.region = c.regions[ls.r.intn(len(c.regions))]
			}
			ls.outages = append(ls.outages, o)
		}
		ls.slow = 40 + ls.r.intn(200)
	}
	var total, failed int
	var pruned int64
	batch := make([]linkwatch.Result, 0, 24*len(links)*len(c.regions)*c.perHour)
	for day := from; day.Before(now); day = day.Add(24 * time.Hour) {
		for li, l := range links {
			ls := &states[li]
			for h := day; h.Before(day.Add(24*time.Hour)) && h.Before(now); h = h.Add(time.Hour) {
				for ri, region := range c.regions {
					for k := range c.perHour {
						at := h.Add(time.Duration((k*len(c.regions)+ri)*60/(c.perHour*len(c.regions))) * time.Minute).
							Add(time.Duration(ls.r.intn(50)) * time.Second)
						if !at.Before(now) {
							continue
						}
						res := linkwatch.Result{
							ID:       fmt.Sprintf("seed-%d-%d-%s-%d", l.ID, h.Unix(), region, k),
							Target:   linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID},
							Region:   region,
							Prober:   region + "/bench-seed",
							At:       at,
							Step:     linkwatch.StepDestination,
							Status:   200,
							FinalURL: l.Destination,
						}
						ms := ls.slow + ls.r.intn(ls.slow) + ls.r.intn(40)
						res.Phases = linkwatch.Phases{DNS: 2 * time.Millisecond, Connect: 5 * time.Millisecond,
							FirstByte: time.Duration(ms-5) * time.Millisecond, Total: time.Duration(ms) * time.Millisecond}
						down := ls.r.float() < 0.0005
						for _, o := range ls.outages {
							if !at.Before(o.from) && at.Before(o.to) && (o.region == "" || o.region == region) {
								down = true
							}
						}
						if down {
							res.Class, res.Status, res.Error = linkwatch.ClassHTTPStatus, 502, "502 Bad Gateway"
							failed++
						}
						batch = append(batch, res)
						total++
					}
				}
			}
		}
		if err := st.InsertResults(ctx, batch); err != nil {
			return err
		}
		batch = batch[:0]
		// The server's retention, applied as it goes: raw results past it
		// leave, their rollups stay (and the table stays small).
		n, err := st.PruneResults(ctx, now.Add(-c.rawRetention))
		if err != nil {
			return err
		}
		pruned += n
	}
	fmt.Fprintf(os.Stderr, "seeded %d components in %d groups (%d links) with %d check results over %d days from %d regions (%d failed) in %.1fs; raw results past %s pruned as it went (%d)\n",
		len(links), c.groups, len(links), total, c.days, len(c.regions), failed, time.Since(start).Seconds(), c.rawRetention, pruned)
	return nil
}

var (
	cssRE  = regexp.MustCompile(`<link rel="stylesheet" href="(/status/assets/[^"]+)"`)
	barRE  = regexp.MustCompile(`(?s)<svg class="bar(?: [^"]*)?".*?</svg>`)
	rectRE = regexp.MustCompile(`<rect [^>]*class="(u[0-9])"`)
	nameRE = regexp.MustCompile(`class="comp-name"`)
)

// waitStatusPage polls /status until it shows want components (plus their
// groups) with full, coloured 90-day bars, then reports it.
func waitStatusPage(server string, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		page, gz, err := fetchStatus(server)
		if err == nil {
			ok, why := pageReady(page, want)
			if ok {
				reportPage(page, gz)
				m := cssRE.FindSubmatch(page)
				if m == nil {
					return errors.New("no stylesheet link in /status")
				}
				fmt.Println(string(m[1]))
				return nil
			}
			last = why
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/status not ready within %s: %s", timeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// fetchStatus returns /status as is and its gzipped size.
func fetchStatus(server string) (page []byte, gz int, err error) {
	resp, err := http.Get(server + "/status") // the transport asks for gzip and inflates
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	page, err = io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return nil, 0, fmt.Errorf("/status: %d %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest("GET", server+"/status", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err = http.DefaultClient.Do(req) // Accept-Encoding set by hand: no inflating
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Encoding") != "gzip" {
		return page, 0, err
	}
	return page, len(b), err
}

// pageReady: want components and their groups, each with a bar of 90
// days, most of them with data.
func pageReady(page []byte, want int) (bool, string) {
	names := len(nameRE.FindAll(page, -1))
	bars := barRE.FindAll(page, -1)
	if names < want {
		return false, fmt.Sprintf("%d component rows, want %d and their groups", names, want)
	}
	withData := 0
	for _, b := range bars {
		rects := rectRE.FindAllSubmatch(b, -1)
		if len(rects) != 90 {
			return false, fmt.Sprintf("a bar of %d days", len(rects))
		}
		data := 0
		for _, r := range rects {
			if string(r[1]) != "u0" {
				data++
			}
		}
		if data >= 89 {
			withData++
		}
	}
	if withData < want {
		return false, fmt.Sprintf("%d of %d bars show 90 days of data, want %d", withData, len(bars), want)
	}
	return true, ""
}

func reportPage(page []byte, gz int) {
	bars := barRE.FindAll(page, -1)
	classes := map[string]int{}
	for _, b := range bars {
		for _, r := range rectRE.FindAllSubmatch(b, -1) {
			classes[string(r[1])]++
		}
	}
	c, _ := json.Marshal(classes)
	fmt.Fprintf(os.Stderr, "/status: %d component rows, %d day bars (days by class %s), %s (%s gzipped)\n",
		len(nameRE.FindAll(page, -1)), len(bars), c, kib(len(page)), kib(gz))
}

func kib(n int) string {
	if n == 0 {
		return "not"
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/1024)
}
