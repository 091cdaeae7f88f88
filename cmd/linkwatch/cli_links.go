package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/linkwatch/linkwatch/api"
)

const linksUsage = `usage: linkwatch links <command> [flags]

commands:
  create    --destination URL [--slug S] [--tag T]... [--domain D] [--fallback URL] [--failover auto|off] [--code 302] [--expires RFC3339] [--interval 60s]
  list      [--tag T] [--domain D] [--limit N]
  get       SLUG [--domain D]
  update    SLUG [--destination URL] [--fallback URL] [--tags T,T] [--expires RFC3339] [--interval 60s] [--code 301] [--failover auto|off]
  delete    SLUG [--domain D]
  failover  SLUG --mode auto|fallback|primary [--domain D]
  health    SLUG [--domain D]
  check     SLUG [--domain D]   check now in every live region and print each one's result
  scans     SLUG [--from RFC3339] [--to RFC3339] [--by hour|day]
  qr        SLUG --out FILE [--format png|svg] [--size PX] [--level L|M|Q|H] [--force]

Every command prints a table; --json prints the server's JSON. Run
'linkwatch links <command> -h' for a command's flags.
`

func printLink(w io.Writer, l *api.LinkDoc) error {
	failover := string(l.Failover)
	if l.FailoverActive {
		failover += " (serving the fallback)"
	}
	return printFields(w, [][2]string{
		{"SLUG", l.Slug}, {"DOMAIN", l.Domain}, {"SHORT URL", l.ShortURL}, {"DESTINATION", l.Destination},
		{"FALLBACK", l.FallbackURL}, {"FAILOVER", failover}, {"TAGS", strings.Join(l.Tags, ",")},
		{"CODE", strconv.Itoa(l.RedirectCode)}, {"INTERVAL", l.CheckInterval}, {"EXPIRES", formatTime(l.ExpiresAt)},
		{"CREATED", formatTime(&l.CreatedAt)}, {"UPDATED", formatTime(&l.UpdatedAt)},
	})
}

// linkPath is the API path of a link, or of one of its sub-resources.
func linkPath(slug, domain, sub string, q url.Values) string {
	p := "/api/v1/links/" + url.PathEscape(slug) + sub
	if q == nil {
		q = url.Values{}
	}
	if domain != "" {
		q.Set("domain", domain)
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

func runLinks(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, linksUsage)
		return errors.New("links: no subcommand given")
	}
	sub, args := args[0], args[1:]
	if sub == "-h" || sub == "-help" || sub == "--help" {
		fmt.Fprint(stdout, linksUsage)
		return flag.ErrHelp
	}
	fs := clientFlags("links "+sub, stderr)
	domain := fs.String("domain", "", "custom domain of the link")
	// one runs the command once its flags are parsed.
	var one func(c *client, slug string) error
	slugged := true
	switch sub {
	case "create":
		slugged = false
		dest := fs.String("destination", "", "destination `URL` (required)")
		slug := fs.String("slug", "", "slug (default: generated)")
		fallback := fs.String("fallback", "", "fallback `URL`")
		failover := fs.String("failover", "", "failover to the fallback when the destination is down: auto (default) or off")
		code := fs.Int("code", 0, "redirect code: 301, 302, 307 or 308 (default 302)")
		expires := fs.String("expires", "", "expiry `time`, RFC 3339")
		interval := fs.String("interval", "", "check interval (a `duration`, e.g. 60s)")
		var tags stringList
		fs.Var(&tags, "tag", "tag (repeatable or comma-separated)")
		one = func(c *client, _ string) error {
			body := map[string]any{"destination": *dest}
			for k, v := range map[string]string{"slug": *slug, "fallback_url": *fallback, "failover": *failover, "domain": *domain, "expires_at": *expires, "check_interval": *interval} {
				if v != "" {
					body[k] = v
				}
			}
			if *code != 0 {
				body["redirect_code"] = *code
			}
			if len(tags) > 0 {
				body["tags"] = tags
			}
			return showLink(ctx, c, fs, http.MethodPost, "/api/v1/links", body, stdout)
		}
	case "list":
		slugged = false
		tag := fs.String("tag", "", "only links with this tag")
		limit := fs.Int("limit", 0, "at most this many links (default: all)")
		one = func(c *client, _ string) error { return listLinks(ctx, c, *tag, *domain, *limit, wantJSON(fs), stdout) }
	case "get":
		one = func(c *client, slug string) error {
			return showLink(ctx, c, fs, http.MethodGet, linkPath(slug, *domain, "", nil), nil, stdout)
		}
	case "update":
		fs.String("destination", "", "new destination `URL`")
		fs.String("fallback", "", "new fallback `URL` (\"\" removes it)")
		fs.String("tags", "", `the link's tags, comma-separated, replacing the old ones ("" removes them all)`)
		fs.String("expires", "", "expiry `time`, RFC 3339 (\"\" removes it; a past time expires the link now)")
		fs.String("interval", "", "check interval (a `duration`, e.g. 60s; \"\" restores the default)")
		fs.Int("code", 0, "redirect code: 301, 302, 307 or 308")
		fs.String("failover", "", "auto or off (a pin by hand is cleared)")
		one = func(c *client, slug string) error {
			body, err := linkPatch(fs)
			if err != nil {
				return err
			}
			return showLink(ctx, c, fs, http.MethodPatch, linkPath(slug, *domain, "", nil), body, stdout)
		}
	case "delete":
		one = func(c *client, slug string) error {
			if _, err := c.raw(ctx, http.MethodDelete, linkPath(slug, *domain, "", nil), nil); err != nil {
				return err
			}
			if wantJSON(fs) {
				return printJSON(stdout, map[string]string{"deleted": slug})
			}
			_, err := fmt.Fprintf(stdout, "deleted %s\n", slug)
			return err
		}
	case "failover":
		mode := fs.String("mode", "", "auto, fallback or primary (required)")
		one = func(c *client, slug string) error {
			if *mode == "" {
				return errors.New("links failover: give exactly one slug and --mode auto|fallback|primary")
			}
			return showFailover(ctx, c, fs, slug, *domain, *mode, stdout)
		}
	case "health":
		one = func(c *client, slug string) error {
			return showHealth(ctx, c, fs, linkPath(slug, *domain, "/health", nil), stdout)
		}
	case "check":
		one = func(c *client, slug string) error {
			return showCheck(ctx, c, fs, linkPath(slug, *domain, "/check", nil), stdout)
		}
	case "scans":
		from := fs.String("from", "", "start of the range, a `time` in RFC 3339 (default: 24 hours before --to)")
		to := fs.String("to", "", "end of the range, a `time` in RFC 3339 (default: now)")
		by := fs.String("by", "hour", "series bucket: hour or day")
		one = func(c *client, slug string) error {
			q, err := scansQuery(*from, *to, *by)
			if err != nil {
				return err
			}
			return showScans(ctx, c, fs, linkPath(slug, *domain, "/scans", q), stdout)
		}
	case "qr":
		q := qrFlags(fs)
		one = func(c *client, slug string) error { return writeQR(ctx, c, fs, q, slug, *domain, stdout) }
	default:
		fmt.Fprint(stderr, linksUsage)
		return fmt.Errorf("links: unknown subcommand %q", sub)
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	var slug string
	switch {
	case slugged && len(pos) != 1:
		if sub == "failover" {
			return errors.New("links failover: give exactly one slug and --mode auto|fallback|primary")
		}
		return fmt.Errorf("links %s: give exactly one slug", sub)
	case slugged:
		slug = pos[0]
	case len(pos) > 0:
		return fmt.Errorf("links %s: unexpected argument %q", sub, pos[0])
	}
	return one(newClient(fs, getenv), slug)
}

// showLink sends a request answered by a link and prints the link.
func showLink(ctx context.Context, c *client, fs *flag.FlagSet, method, path string, body any, stdout io.Writer) error {
	var l api.LinkDoc
	data, err := c.do(ctx, method, path, body, &l)
	if err != nil {
		return err
	}
	if wantJSON(fs) {
		return printRaw(stdout, data)
	}
	return printLink(stdout, &l)
}

// linkPatch is the PATCH body of `links update`: the flags given, and only
// those; an empty value clears what can be cleared.
func linkPatch(fs *flag.FlagSet) (map[string]any, error) {
	body := map[string]any{}
	var err error
	fs.Visit(func(f *flag.Flag) {
		v := f.Value.String()
		switch f.Name {
		case "destination":
			body["destination"] = v
		case "fallback":
			body["fallback_url"] = nullIfEmpty(v)
		case "tags":
			tags := stringList{}
			tags.Set(v)
			body["tags"] = []string(tags)
		case "expires":
			body["expires_at"] = nullIfEmpty(v)
		case "interval":
			body["check_interval"] = nullIfEmpty(v)
		case "code":
			body["redirect_code"], _ = strconv.Atoi(v)
		case "failover":
			if v == "" {
				err = errors.New("links update: --failover must be auto or off")
			}
			body["failover"] = v
		}
	})
	if err == nil && len(body) == 0 {
		err = errors.New("links update: nothing to change: give --destination, --fallback, --tags, --expires, --interval, --code or --failover")
	}
	return body, err
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// listLinks follows the cursor through every page and prints a table, or
// with asJSON every link in one {"links": […]} document.
func listLinks(ctx context.Context, c *client, tag, domain string, limit int, asJSON bool, stdout io.Writer) error {
	var rows [][]string
	var raws []json.RawMessage
	cursor := ""
	for {
		q := url.Values{}
		if tag != "" {
			q.Set("tag", tag)
		}
		if domain != "" {
			q.Set("domain", domain)
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		q.Set("limit", "500")
		var page struct {
			Links      []json.RawMessage `json:"links"`
			NextCursor string            `json:"next_cursor"`
		}
		if _, err := c.do(ctx, http.MethodGet, "/api/v1/links?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		for _, raw := range page.Links {
			if limit > 0 && len(raws) >= limit {
				break
			}
			var l api.LinkDoc
			if err := json.Unmarshal(raw, &l); err != nil {
				return fmt.Errorf("the server's answer is not what this linkwatch expects: %w", err)
			}
			raws = append(raws, raw)
			rows = append(rows, []string{l.Slug, l.ShortURL, strconv.Itoa(l.RedirectCode), l.Destination, strings.Join(l.Tags, ",")})
		}
		if page.NextCursor == "" || (limit > 0 && len(raws) >= limit) {
			break
		}
		cursor = page.NextCursor
	}
	if asJSON {
		if raws == nil {
			raws = []json.RawMessage{}
		}
		return printJSON(stdout, map[string]any{"links": raws})
	}
	return printTable(stdout, []string{"SLUG", "SHORT URL", "CODE", "DESTINATION", "TAGS"}, rows)
}

func showFailover(ctx context.Context, c *client, fs *flag.FlagSet, slug, domain, mode string, stdout io.Writer) error {
	var f api.FailoverDoc
	data, err := c.do(ctx, http.MethodPost, linkPath(slug, domain, "/failover", nil), map[string]string{"mode": mode}, &f)
	if err != nil {
		return err
	}
	if wantJSON(fs) {
		return printRaw(stdout, data)
	}
	return printFields(stdout, [][2]string{{"SLUG", slug}, {"MODE", string(f.Mode)}, {"SERVING", serving(f.Active)},
		{"SINCE", formatTime(f.Since)}, {"REASON", f.Reason}})
}

func serving(fallback bool) string {
	if fallback {
		return "the fallback"
	}
	return "the destination"
}
