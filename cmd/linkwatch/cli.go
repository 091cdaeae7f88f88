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
	"strings"
	"text/tabwriter"
	"time"
)

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cfg, err := loadFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.DB)
	if err != nil {
		return err
	}
	st.Close()
	if *asJSON {
		return printJSON(stdout, map[string]any{"database": describeDB(cfg.DB), "up_to_date": true})
	}
	fmt.Fprintf(stdout, "migrations applied: %s is up to date\n", describeDB(cfg.DB))
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

// clientFlags is the flag set of a client command: where the server is,
// the token, and --json.
func clientFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet(name, stderr)
	fs.String("server", "", "server base `URL` (env LINKWATCH_SERVER, default http://localhost:8080)")
	fs.String("token", "", "API token (env LINKWATCH_TOKEN or LINKWATCH_ADMIN_TOKEN)")
	fs.Bool("json", false, "print the server's JSON instead of a table")
	return fs
}

// wantJSON reports whether --json was given.
func wantJSON(fs *flag.FlagSet) bool {
	f := fs.Lookup("json")
	return f != nil && f.Value.String() == "true"
}

// maxResponse bounds what the CLI reads of an answer.
const maxResponse = 16 << 20

// raw sends a request and returns the answer's body; API errors come back
// as their message.
func (c *client) raw(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if c.token == "" {
		return nil, errors.New("no API token: pass --token or set LINKWATCH_TOKEN")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxResponse {
		return nil, fmt.Errorf("the answer from %s is over %d MiB", c.base, maxResponse>>20)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			if e.Error.Field != "" {
				return nil, fmt.Errorf("%s (%s): %s", resp.Status, e.Error.Field, e.Error.Message)
			}
			return nil, fmt.Errorf("%s: %s", resp.Status, e.Error.Message)
		}
		return nil, fmt.Errorf("%s", resp.Status)
	}
	return data, nil
}

// do sends a request and decodes a JSON answer into out (when not nil); it
// returns the answer as received, for --json.
func (c *client) do(ctx context.Context, method, path string, body, out any) ([]byte, error) {
	data, err := c.raw(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("the server's answer is not what this linkwatch expects: %w", err)
		}
	}
	return data, nil
}

// Output: every client command prints an aligned table, or with --json
// what the server answered (indented).

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printRaw prints a JSON answer as received, indented.
func printRaw(w io.Writer, data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		return fmt.Errorf("the server's answer is not JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// printTable prints rows under a header, aligned.
func printTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(clean(r), "\t"))
	}
	return tw.Flush()
}

// printFields prints one object as aligned NAME value lines.
func printFields(w io.Writer, fields [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s\t%s\n", f[0], orDash(cleanCell(f[1])))
	}
	return tw.Flush()
}

// clean makes server-provided text safe for a cell: no tabs or line breaks
// that would break the table, no control characters for the terminal.
func clean(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = orDash(cleanCell(c))
	}
	return out
}

func cleanCell(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatTime shows an API time in UTC, to the second; zero as "".
func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
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

// parseInterleaved parses args where positional arguments and flags mix,
// as in `links update SLUG --destination URL` or `--domain D SLUG`, and
// returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
}
