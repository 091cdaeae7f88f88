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
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/api"
)

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("migrate", args, getenv, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.DB)
	if err != nil {
		return err
	}
	st.Close()
	fmt.Fprintf(stdout, "migrations applied: %s is up to date\n", describeDB(cfg.DB))
	return nil
}

func runCheckConfig(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if _, _, err := loadConfig("check-config", args, getenv, stderr); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "configuration is valid")
	return nil
}

// client talks to a running server's API for the CLI subcommands.
type client struct {
	base  string
	token string
	http  *http.Client
}

func newClient(fs *flag.FlagSet, getenv func(string) string) *client {
	server := fs.Lookup("server").Value.String()
	if server == "" {
		server = getenv("LINKWATCH_SERVER")
	}
	if server == "" {
		server = "http://localhost:8080"
	}
	token := fs.Lookup("token").Value.String()
	for _, env := range []string{"LINKWATCH_TOKEN", "LINKWATCH_ADMIN_TOKEN"} {
		if token == "" {
			token = getenv(env)
		}
	}
	return &client{base: strings.TrimSuffix(server, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}
}

func clientFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("linkwatch "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("server", "", "server base URL (env LINKWATCH_SERVER, default http://localhost:8080)")
	fs.String("token", "", "API token (env LINKWATCH_TOKEN or LINKWATCH_ADMIN_TOKEN)")
	return fs
}

// do sends a request and decodes a JSON response into out; API errors come
// back as their message.
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if c.token == "" {
		return errors.New("no API token: pass --token or set LINKWATCH_TOKEN")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			if e.Error.Field != "" {
				return fmt.Errorf("%s (%s): %s", resp.Status, e.Error.Field, e.Error.Message)
			}
			return fmt.Errorf("%s: %s", resp.Status, e.Error.Message)
		}
		return fmt.Errorf("%s", resp.Status)
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// stringList is a repeatable or comma-separated flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

const linksUsage = `usage: linkwatch links <create|list|get|delete|failover> [flags]
  create   --destination URL [--slug S] [--tag T]... [--domain D] [--fallback URL] [--failover auto|off] [--code 302] [--expires RFC3339] [--interval 60s]
  list     [--tag T] [--domain D] [--limit N]
  get      SLUG [--domain D]
  delete   SLUG [--domain D]
  failover SLUG --mode auto|fallback|primary [--domain D]
           (pin visitors to the fallback or the primary by hand; auto hands the link back to automatic failover)
`

func runLinks(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, linksUsage)
		return errors.New("links: no subcommand given")
	}
	sub, args := args[0], args[1:]
	fs := clientFlags("links "+sub, stderr)
	domain := fs.String("domain", "", "custom domain of the link")
	switch sub {
	case "create":
		dest := fs.String("destination", "", "destination URL (required)")
		slug := fs.String("slug", "", "slug (default: generated)")
		fallback := fs.String("fallback", "", "fallback URL")
		failover := fs.String("failover", "", "failover to the fallback when the destination is down: auto (default) or off")
		code := fs.Int("code", 0, "redirect code: 301, 302, 307 or 308 (default 302)")
		expires := fs.String("expires", "", "expiry time, RFC 3339")
		interval := fs.String("interval", "", "check interval, e.g. 60s")
		var tags stringList
		fs.Var(&tags, "tag", "tag (repeatable or comma-separated)")
		if err := fs.Parse(args); err != nil {
			return err
		}
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
		var out map[string]any
		if err := newClient(fs, getenv).do(ctx, http.MethodPost, "/api/v1/links", body, &out); err != nil {
			return err
		}
		return printJSON(stdout, out)
	case "list":
		tag := fs.String("tag", "", "only links with this tag")
		limit := fs.Int("limit", 0, "at most this many links (default: all)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return listLinks(ctx, newClient(fs, getenv), *tag, *domain, *limit, stdout)
	case "get", "delete":
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return fmt.Errorf("links %s: give exactly one slug", sub)
		}
		path := "/api/v1/links/" + url.PathEscape(fs.Arg(0))
		if *domain != "" {
			path += "?domain=" + url.QueryEscape(*domain)
		}
		c := newClient(fs, getenv)
		if sub == "delete" {
			if err := c.do(ctx, http.MethodDelete, path, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "deleted %s\n", fs.Arg(0))
			return nil
		}
		var out map[string]any
		if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
			return err
		}
		return printJSON(stdout, out)
	case "failover":
		mode := fs.String("mode", "", "auto, fallback or primary (required)")
		if err := fs.Parse(reorderFlags(args)); err != nil {
			return err
		}
		if fs.NArg() != 1 || *mode == "" {
			return errors.New("links failover: give exactly one slug and --mode auto|fallback|primary")
		}
		path := "/api/v1/links/" + url.PathEscape(fs.Arg(0)) + "/failover"
		if *domain != "" {
			path += "?domain=" + url.QueryEscape(*domain)
		}
		var out map[string]any
		if err := newClient(fs, getenv).do(ctx, http.MethodPost, path, map[string]string{"mode": *mode}, &out); err != nil {
			return err
		}
		return printJSON(stdout, out)
	}
	fmt.Fprint(stderr, linksUsage)
	return fmt.Errorf("links: unknown subcommand %q", sub)
}

// listLinks follows the cursor through every page and prints a table.
func listLinks(ctx context.Context, c *client, tag, domain string, limit int, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tSHORT URL\tCODE\tDESTINATION\tTAGS")
	cursor, n := "", 0
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
			Links []struct {
				Slug        string   `json:"slug"`
				ShortURL    string   `json:"short_url"`
				Code        int      `json:"redirect_code"`
				Destination string   `json:"destination"`
				Tags        []string `json:"tags"`
			} `json:"links"`
			NextCursor string `json:"next_cursor"`
		}
		if err := c.do(ctx, http.MethodGet, "/api/v1/links?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		for _, l := range page.Links {
			if limit > 0 && n >= limit {
				return tw.Flush()
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", l.Slug, l.ShortURL, l.Code, l.Destination, strings.Join(l.Tags, ","))
			n++
		}
		if page.NextCursor == "" {
			return tw.Flush()
		}
		cursor = page.NextCursor
	}
}

const tokensUsage = `usage: linkwatch tokens <create|list|delete|reset-admin> [flags]
  create --name NAME --scope admin|read|prober [--scope …] [--region R …]
         (a prober token needs --region: the regions it may report for)
  list
  delete ID
  reset-admin [--db DB]  (on the database, no server: deletes every token
         with the admin scope and prints a new admin token once)
`

// runResetAdmin recovers a lost or leaked admin token on the database
// itself, since the API needs an admin token to make one: every stored
// token with the admin scope is deleted (a leaked one, or one made with
// it, must not survive) and a new one is printed once. A token set in
// LINKWATCH_ADMIN_TOKEN is configuration, not stored, and is untouched.
func runResetAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("tokens reset-admin", args, getenv, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	ts, err := st.ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("tokens reset-admin: %w", err)
	}
	for _, t := range ts {
		if !t.Allows(linkwatch.ScopeAdmin) {
			continue
		}
		if err := st.DeleteToken(ctx, t.ID); err != nil {
			return fmt.Errorf("tokens reset-admin: delete token %s: %w", t.ID, err)
		}
		fmt.Fprintf(stderr, "deleted admin token %s (%s)\n", t.ID, t.Name)
	}
	secret, _, err := api.EnsureAdminToken(ctx, st, time.Now())
	if err != nil {
		return fmt.Errorf("tokens reset-admin: %w", err)
	}
	fmt.Fprintf(stdout, "Admin token (shown once, keep it safe): %s\n", secret.Reveal())
	return nil
}

func runTokens(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokensUsage)
		return errors.New("tokens: no subcommand given")
	}
	sub, args := args[0], args[1:]
	if sub == "reset-admin" {
		return runResetAdmin(ctx, args, getenv, stdout, stderr)
	}
	fs := clientFlags("tokens "+sub, stderr)
	switch sub {
	case "create":
		name := fs.String("name", "", "what the token is for")
		var scopes stringList
		fs.Var(&scopes, "scope", "scope: admin, read or prober (repeatable)")
		var regions stringList
		fs.Var(&regions, "region", "a region a prober token may report for (repeatable; required with --scope prober)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		req := map[string]any{"name": *name, "scopes": scopes}
		if len(regions) > 0 {
			req["regions"] = regions
		}
		var out map[string]any
		if err := newClient(fs, getenv).do(ctx, http.MethodPost, "/api/v1/tokens", req, &out); err != nil {
			return err
		}
		return printJSON(stdout, out)
	case "list":
		if err := fs.Parse(args); err != nil {
			return err
		}
		var out map[string]any
		if err := newClient(fs, getenv).do(ctx, http.MethodGet, "/api/v1/tokens", nil, &out); err != nil {
			return err
		}
		return printJSON(stdout, out)
	case "delete":
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("tokens delete: give exactly one token id")
		}
		if err := newClient(fs, getenv).do(ctx, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(fs.Arg(0)), nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted token %s\n", fs.Arg(0))
		return nil
	}
	fmt.Fprint(stderr, tokensUsage)
	return fmt.Errorf("tokens: unknown subcommand %q", sub)
}

// reorderFlags moves a leading positional argument after the flags, so
// `links failover SLUG --mode fallback` parses as the usage shows it.
func reorderFlags(args []string) []string {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return append(append([]string{}, args[1:]...), args[0])
	}
	return args
}
