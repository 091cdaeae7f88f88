package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/api"
	"github.com/linkwatch/linkwatch/health"
)

// showHealth prints a link's health document: its state, failover, uptime
// and each region's latest check.
func showHealth(ctx context.Context, c *client, fs *flag.FlagSet, path string, stdout io.Writer) error {
	var h api.HealthDoc
	data, err := c.do(ctx, http.MethodGet, path, nil, &h)
	if err != nil {
		return err
	}
	if wantJSON(fs) {
		return printRaw(stdout, data)
	}
	fields := [][2]string{{"STATE", h.State}, {"REASON", h.Reason}}
	if f := h.Failover; f != nil {
		fields = append(fields, [2]string{"FAILOVER", fmt.Sprintf("%s, serving %s", f.Mode, serving(f.Active))})
	}
	var uptime []string
	for _, w := range []string{"24h", "7d", "30d"} {
		u := "no data"
		if p := h.Uptime[w]; p != nil {
			u = health.Percent(*p)
		}
		uptime = append(uptime, w+" "+u)
	}
	fields = append(fields, [2]string{"UPTIME", strings.Join(uptime, ", ")})
	if err := printFields(stdout, fields); err != nil {
		return err
	}
	if len(h.Regions) == 0 {
		_, err := fmt.Fprintln(stdout, "\nno region has checked it yet")
		return err
	}
	fmt.Fprintln(stdout)
	return printRegions(stdout, h.Regions)
}

// showCheck asks every live region to check a link now (POST
// /links/{slug}/check) and prints each region's answer, then the regions
// that did not answer in time.
func showCheck(ctx context.Context, c *client, fs *flag.FlagSet, path string, stdout io.Writer) error {
	var doc api.CheckDoc
	data, err := c.do(ctx, http.MethodPost, path, nil, &doc)
	if err != nil {
		return err
	}
	if wantJSON(fs) {
		return printRaw(stdout, data)
	}
	regions := make([]api.RegionHealthDoc, 0, len(doc.Regions))
	for _, r := range doc.Regions {
		regions = append(regions, r.Result)
	}
	if err := printRegions(stdout, regions); err != nil {
		return err
	}
	if len(doc.Missing) > 0 {
		_, err = fmt.Fprintf(stdout, "\nno answer in time from: %s\n", strings.Join(doc.Missing, ", "))
	}
	return err
}

// printRegions is the table of regions' latest (or just made) checks.
func printRegions(stdout io.Writer, regions []api.RegionHealthDoc) error {
	var rows [][]string
	for _, r := range regions {
		status := ""
		if r.Status != 0 {
			status = strconv.Itoa(r.Status)
		}
		current := "yes"
		if r.Current != nil && !*r.Current {
			current = "no"
		}
		problem := r.ErrorClass
		if r.Error != "" {
			problem = strings.TrimPrefix(problem+": "+r.Error, ": ")
		}
		rows = append(rows, []string{r.Region, r.State, formatTime(&r.CheckedAt), status, r.Duration().String(),
			strconv.Itoa(r.ConsecutiveFailures), current, problem})
	}
	return printTable(stdout, []string{"REGION", "STATE", "CHECKED", "STATUS", "TOOK", "FAILURES", "CURRENT", "ERROR"}, rows)
}

// scansQuery turns --from, --to and --by into the scans route's query;
// times are checked here so a typo is named by its flag.
func scansQuery(from, to, by string) (url.Values, error) {
	q := url.Values{}
	for _, f := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if f.v == "" {
			continue
		}
		if _, err := time.Parse(time.RFC3339, f.v); err != nil {
			return nil, fmt.Errorf("links scans: --%s must be an RFC 3339 time such as 2026-03-01T00:00:00Z; got %q", f.name, f.v)
		}
		q.Set(f.name, f.v)
	}
	switch by {
	case "hour":
		q.Set("bucket", "1h")
	case "day":
		q.Set("bucket", "1d")
	default:
		return nil, fmt.Errorf("links scans: --by must be hour or day; got %q", by)
	}
	return q, nil
}

func showScans(ctx context.Context, c *client, fs *flag.FlagSet, path string, stdout io.Writer) error {
	var st struct {
		Total, QR, Link, Bots int64
		From, To              time.Time
		Bucket                string
		Series                []struct {
			T     time.Time `json:"t"`
			Count int64     `json:"count"`
		}
		Referrers []struct {
			Host  string `json:"host"`
			Count int64  `json:"count"`
		}
		Devices []struct {
			Device string `json:"device"`
			Count  int64  `json:"count"`
		}
	}
	data, err := c.do(ctx, http.MethodGet, path, nil, &st)
	if err != nil {
		return err
	}
	if wantJSON(fs) {
		return printRaw(stdout, data)
	}
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
	if err := printFields(stdout, [][2]string{{"FROM", formatTime(&st.From)}, {"TO", formatTime(&st.To)},
		{"SCANS", itoa(st.Total)}, {"QR", itoa(st.QR)}, {"LINK", itoa(st.Link)}, {"BOTS", itoa(st.Bots)}}); err != nil {
		return err
	}
	var rows [][]string
	for _, p := range st.Series {
		rows = append(rows, []string{formatTime(&p.T), itoa(p.Count)})
	}
	fmt.Fprintln(stdout)
	if len(rows) == 0 {
		_, err := fmt.Fprintln(stdout, "no scans in this range")
		return err
	}
	if err := printTable(stdout, []string{"FROM (" + st.Bucket + ")", "SCANS"}, rows); err != nil {
		return err
	}
	for _, part := range []struct {
		title string
		rows  [][]string
	}{
		{"REFERRER", func() (r [][]string) {
			for _, x := range st.Referrers {
				r = append(r, []string{x.Host, itoa(x.Count)})
			}
			return r
		}()},
		{"DEVICE", func() (r [][]string) {
			for _, x := range st.Devices {
				r = append(r, []string{x.Device, itoa(x.Count)})
			}
			return r
		}()},
	} {
		if len(part.rows) == 0 {
			continue
		}
		fmt.Fprintln(stdout)
		if err := printTable(stdout, []string{part.title, "SCANS"}, part.rows); err != nil {
			return err
		}
	}
	return nil
}

type qrOptions struct {
	out, format, level *string
	size               *int
	force              *bool
}

func qrFlags(fs *flag.FlagSet) qrOptions {
	return qrOptions{
		out:    fs.String("out", "", "file to write (required)"),
		format: fs.String("format", "", "png or svg (default: from --out's extension, else png)"),
		size:   fs.Int("size", 0, "image size in pixels, 64-2048 (default: the server's)"),
		level:  fs.String("level", "", "error correction: L, M, Q or H (default: the server's)"),
		force:  fs.Bool("force", false, "replace --out if it exists"),
	}
}

// writeQR downloads the link's QR code and writes it to --out atomically:
// into a temporary file beside it, synced, then moved into place, so a
// reader never sees half an image. An existing file is replaced only with
// --force.
func writeQR(ctx context.Context, c *client, fs *flag.FlagSet, o qrOptions, slug, domain string, stdout io.Writer) error {
	out, format := *o.out, strings.ToLower(*o.format)
	if out == "" {
		return errors.New("links qr: --out FILE is required")
	}
	if format == "" {
		format = "png"
		if strings.EqualFold(filepath.Ext(out), ".svg") {
			format = "svg"
		}
	}
	if format != "png" && format != "svg" {
		return fmt.Errorf("links qr: --format must be png or svg; got %q", *o.format)
	}
	if !*o.force {
		if _, err := os.Lstat(out); err == nil {
			return fmt.Errorf("links qr: %s exists; pass --force to replace it", out)
		}
	}
	q := url.Values{}
	if *o.size != 0 {
		q.Set("size", strconv.Itoa(*o.size))
	}
	if *o.level != "" {
		q.Set("ecc", strings.ToUpper(*o.level))
	}
	img, err := c.raw(ctx, http.MethodGet, linkPath(slug, domain, "/qr."+format, q), nil)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(out, img, *o.force); err != nil {
		return fmt.Errorf("links qr: %w", err)
	}
	if wantJSON(fs) {
		return printJSON(stdout, map[string]any{"file": out, "format": format, "bytes": len(img)})
	}
	_, err = fmt.Fprintf(stdout, "wrote %s (%s, %d bytes)\n", out, format, len(img))
	return err
}

// writeFileAtomic writes data to path through a synced temporary file in
// the same directory. Without replace, an existing path is left alone and
// is an error, even one created meanwhile (a hard link never replaces).
func writeFileAtomic(path string, data []byte, replace bool) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // gone already once moved into place
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if replace {
		return os.Rename(tmp.Name(), path)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists; pass --force to replace it", path)
		}
		return err
	}
	return nil
}
