package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/api"
)

const tokensUsage = `usage: linkwatch tokens <command> [flags]

commands:
  create       --name NAME --scope admin|read|prober [--scope …] [--region R …]
               (a prober token needs --region: the regions it may report for)
  list
  delete       ID
  reset-admin  [--db DB]  (on the database, no server: deletes every token
               with the admin scope and prints a new admin token once)

Every command prints a table; --json prints JSON. Run
'linkwatch tokens <command> -h' for a command's flags.
`

// runResetAdmin recovers a lost or leaked admin token on the database
// itself, since the API needs an admin token to make one: every stored
// token with the admin scope is deleted (a leaked one, or one made with
// it, must not survive) and a new one is printed once. A token set in
// LINKWATCH_ADMIN_TOKEN is configuration, not stored, and is untouched.
func runResetAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokens reset-admin", stderr)
	asJSON := fs.Bool("json", false, "print the new token as JSON")
	cfg, err := loadFlags(fs, args, getenv)
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
	if *asJSON {
		return printJSON(stdout, map[string]string{"token": secret.Reveal()})
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
	switch sub {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, tokensUsage)
		return flag.ErrHelp
	case "reset-admin":
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
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if slices.Contains(scopes, "prober") && len(regions) == 0 {
			// The server would say so too, in the API's words ("regions").
			return errors.New(`tokens create: a prober token must name the regions it may report for: add --region R (repeat it for several)`)
		}
		req := map[string]any{"name": *name, "scopes": scopes}
		if len(regions) > 0 {
			req["regions"] = regions
		}
		var t api.TokenDoc
		data, err := newClient(fs, getenv).do(ctx, http.MethodPost, "/api/v1/tokens", req, &t)
		if err != nil {
			return err
		}
		if wantJSON(fs) {
			return printRaw(stdout, data)
		}
		if err := printFields(stdout, [][2]string{{"ID", t.ID}, {"NAME", t.Name}, {"SCOPES", scopeList(t.Scopes)},
			{"REGIONS", strings.Join(t.Regions, ",")}, {"TOKEN", t.Token}}); err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, "\nThe token is shown once: keep it safe.")
		return err
	case "list":
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		var out struct {
			Tokens []api.TokenDoc `json:"tokens"`
		}
		data, err := newClient(fs, getenv).do(ctx, http.MethodGet, "/api/v1/tokens", nil, &out)
		if err != nil {
			return err
		}
		if wantJSON(fs) {
			return printRaw(stdout, data)
		}
		var rows [][]string
		for _, t := range out.Tokens {
			rows = append(rows, []string{t.ID, t.Name, scopeList(t.Scopes), strings.Join(t.Regions, ","), formatTime(&t.CreatedAt)})
		}
		return printTable(stdout, []string{"ID", "NAME", "SCOPES", "REGIONS", "CREATED"}, rows)
	case "delete":
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return errors.New("tokens delete: give exactly one token id")
		}
		if _, err := newClient(fs, getenv).raw(ctx, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(pos[0]), nil); err != nil {
			return err
		}
		if wantJSON(fs) {
			return printJSON(stdout, map[string]string{"deleted": pos[0]})
		}
		fmt.Fprintf(stdout, "deleted token %s\n", pos[0])
		return nil
	}
	fmt.Fprint(stderr, tokensUsage)
	return fmt.Errorf("tokens: unknown subcommand %q", sub)
}

// scopeList is a token's scopes as the CLI prints them.
func scopeList(scopes []linkwatch.Scope) string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return strings.Join(out, ",")
}
