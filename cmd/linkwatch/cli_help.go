package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/linkwatch/linkwatch/config"
)

// Which settings each command uses, read off server.go and probe.go: a
// command offers flags for these only (the others still come from the file
// and the environment, so one file serves every role).
var (
	serverSettings     = []string{"addr", "metrics_addr", "public_url", "client_timeout", "shutdown_timeout", "drain_delay", "db", "log_format", "log_level"}
	redirectorSettings = []string{"country_header", "scan_queue_size", "scan_batch_size", "scan_flush_interval"}
	// control: the API (probe_timeout bounds "check now"), the dashboard,
	// retention, the alert engine and its channels, the status page.
	controlSettings = []string{"admin_token", "dashboard_session_ttl", "result_retention", "rollup_retention",
		"probe_timeout", "prober_retire_after", "dogstatsd_addr",
		"alert_evaluation_interval", "alert_delivery_interval", "slack_webhook_url", "slack_token", "slack_channel", "slack_api_url",
		"webhook_url", "webhook_secret", "datadog_api_key", "datadog_api_url",
		"status_title", "status_time_zone", "status_rebuild_interval", "subscribe_allow_private",
		"smtp_addr", "smtp_from", "smtp_username", "smtp_password", "smtp_tls"}
	// A prober (serve's in-process one too) checks; its results may also go
	// to DogStatsD.
	proberSettings = []string{"region", "probe_allow_private", "probe_concurrency", "probe_per_host", "probe_timeout",
		"probe_confirm", "probe_refresh", "dogstatsd_addr"}
)

// commandSettings returns the settings the command named name (as in
// "linkwatch <name>") takes flags for.
func commandSettings(name string) []string {
	var keys []string
	switch name {
	case "serve":
		keys = slices.Concat(serverSettings, redirectorSettings, controlSettings, proberSettings)
	case "redirector":
		keys = slices.Concat(serverSettings, redirectorSettings)
	case "control":
		keys = slices.Concat(serverSettings, controlSettings)
	case "prober":
		keys = slices.Concat([]string{"addr", "public_url", "log_format", "log_level"}, proberSettings)
	case "migrate", "tokens reset-admin":
		keys = []string{"db"}
	case "check-config":
		for _, s := range config.Settings() {
			keys = append(keys, s.Key)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// commandDefaults are the defaults a command puts in place of the
// settings' own, for help.
var commandDefaults = map[string]map[string]string{
	"prober": {"addr": defaultProberAddr},
}

// commandHelp is each command's usage line and what it does.
var commandHelp = map[string][2]string{
	"serve":              {"linkwatch serve [flags]", "Runs everything in one process: redirector, control API, dashboard, status page and a prober."},
	"redirector":         {"linkwatch redirector [flags]", "Runs only the redirect core (stateless; run 2+ replicas on PostgreSQL)."},
	"control":            {"linkwatch control [flags]", "Runs the control API, dashboard, result ingestion, alert engine and status page."},
	"prober":             {"linkwatch prober --region R --control URL --token T [flags]", "Runs a remote prober for one region."},
	"migrate":            {"linkwatch migrate [flags]", "Applies the embedded database migrations and exits."},
	"check-config":       {"linkwatch check-config [flags]", "Validates the configuration and, when the database is reachable, that status components point at existing links, tags and monitors."},
	"tokens reset-admin": {"linkwatch tokens reset-admin [--db DB]", "On the database, no server: deletes every admin token and prints a new one once."},
	"version":            {"linkwatch version [--json]", "Prints the version, the VCS revision and the Go version it was built with."},
	"links create":       {"linkwatch links create --destination URL [flags]", "Creates a link."},
	"links list":         {"linkwatch links list [flags]", "Lists links (every page)."},
	"links get":          {"linkwatch links get SLUG [flags]", "Shows a link."},
	"links update":       {"linkwatch links update SLUG [flags]", "Changes a link: only the flags given change; an empty value clears --fallback, --tags and --expires."},
	"links delete":       {"linkwatch links delete SLUG [flags]", "Deletes a link."},
	"links failover":     {"linkwatch links failover SLUG --mode auto|fallback|primary [flags]", "Pins visitors to the fallback or the primary by hand; auto hands the link back to automatic failover."},
	"links health":       {"linkwatch links health SLUG [flags]", "Shows a link's health: its state, each region's latest check and its uptime."},
	"links scans":        {"linkwatch links scans SLUG [--from T] [--to T] [--by hour|day] [flags]", "Shows a link's scans: totals, a series, referrers and devices."},
	"links qr":           {"linkwatch links qr SLUG --out FILE [flags]", "Writes a link's QR code to FILE (atomically; an existing FILE only with --force)."},
	"tokens create":      {"linkwatch tokens create --name NAME --scope admin|read|prober [flags]", "Creates an API token; its secret is shown once."},
	"tokens list":        {"linkwatch tokens list [flags]", "Lists API tokens."},
	"tokens delete":      {"linkwatch tokens delete ID [flags]", "Deletes an API token."},
}

// flagGroups places the flags that are not settings.
var flagGroups = map[string]string{
	"server": "Connection", "token": "Connection", "control": "Connection",
	"json": "Output", "out": "Output", "force": "Output", "format": "Output", "size": "Output", "level": "Output",
	"spool": "Spool", "spool-max-bytes": "Spool", "id": "Probing",
}

// newFlagSet is the flag set of the command named name: the flags of the
// settings it uses, and --config. Help goes to out; parse it with
// parseFlags.
func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("linkwatch "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	if keys := commandSettings(name); len(keys) > 0 {
		config.FlagsFor(fs, keys...)
	}
	return fs
}

// parseFlags parses args into fs. -h or --help prints the command's usage
// to fs's output and returns flag.ErrHelp, which run turns into success; a
// bad flag is one clear error, not a screen of usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(out, fs)
		return err
	case err != nil:
		return flagError(fs, err)
	}
	return nil
}

// flagError makes a parse error say what to do: the flag's nearest
// spelling, or which commands take it.
func flagError(fs *flag.FlagSet, err error) error {
	cmd := strings.TrimPrefix(fs.Name(), "linkwatch ")
	hint := fmt.Sprintf("run '%s -h' for its flags", fs.Name())
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return fmt.Errorf("%s: %v (%s)", cmd, err, hint)
	}
	name = "--" + strings.TrimLeft(name, "-")
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if near := config.Nearest(strings.TrimLeft(name, "-"), names); near != "" {
		return fmt.Errorf("%s: unknown flag %s (did you mean --%s?)", cmd, name, near)
	}
	for _, s := range config.Settings() {
		if "--"+s.Flag != name {
			continue
		}
		var takers []string
		for _, cmd := range []string{"serve", "redirector", "control", "prober", "migrate"} {
			if slices.Contains(commandSettings(cmd), s.Key) {
				takers = append(takers, cmd)
			}
		}
		return fmt.Errorf("%s: unknown flag %s: %s does not use %s (a flag of %s)", cmd, name, cmd, s.Key, strings.Join(takers, ", "))
	}
	return fmt.Errorf("%s: unknown flag %s (%s)", cmd, name, hint)
}

// printUsage prints a command's usage line, what it does and its flags by
// group, each with its type, meaning, variable and default.
func printUsage(w io.Writer, fs *flag.FlagSet) {
	name := strings.TrimPrefix(fs.Name(), "linkwatch ")
	if h, ok := commandHelp[name]; ok {
		fmt.Fprintf(w, "usage: %s\n\n%s\n", h[0], h[1])
	} else {
		fmt.Fprintf(w, "usage: %s [flags]\n", fs.Name())
	}
	settings := map[string]config.Setting{}
	for _, s := range config.Settings() {
		settings[s.Flag] = s
	}
	type line struct{ flag, typ, help string }
	groups := map[string][]line{}
	fs.VisitAll(func(f *flag.Flag) {
		group, l := ownGroup(name), line{flag: "--" + f.Name}
		if s, ok := settings[f.Name]; ok {
			group, l.typ = s.Group, s.Type
			def := s.Default
			if d, ok := commandDefaults[name][s.Key]; ok {
				def = d
			}
			if def == "" {
				def = "none"
			}
			l.help = fmt.Sprintf("%s (env %s, default %s)", s.Help, s.Env, def)
		} else {
			if g, ok := flagGroups[f.Name]; ok {
				group = g
			}
			if f.Name == config.ConfigFlag {
				group = "Configuration"
			}
			var typ string
			typ, l.help = flag.UnquoteUsage(f)
			l.typ = flagType(f, typ)
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
				l.help += fmt.Sprintf(" (default %s)", f.DefValue)
			}
		}
		groups[group] = append(groups[group], l)
	})
	order := config.GroupOrder()
	var names []string
	for g := range groups {
		names = append(names, g)
	}
	rank := func(g string) int {
		if i := slices.Index(order, g); i >= 0 {
			return i
		}
		return len(order) // the command's own flags come last
	}
	sort.SliceStable(names, func(i, j int) bool {
		if rank(names[i]) != rank(names[j]) {
			return rank(names[i]) < rank(names[j])
		}
		return names[i] < names[j]
	})
	for _, g := range names {
		fmt.Fprintf(w, "\n%s:\n", g)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, l := range groups[g] {
			fmt.Fprintf(tw, "  %s %s\t%s\n", l.flag, l.typ, l.help)
		}
		tw.Flush()
	}
}

// ownGroup names the group of a command's own flags.
func ownGroup(cmd string) string {
	switch {
	case strings.HasPrefix(cmd, "links "):
		return "Link"
	case strings.HasPrefix(cmd, "tokens "):
		return "Token"
	}
	return "Flags"
}

// flagType names a flag's type for help: bool, duration, int, string or a
// list.
func flagType(f *flag.Flag, typ string) string {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "bool"
	}
	switch typ {
	case "int64", "uint", "uint64":
		return "int"
	case "float64":
		return "number"
	case "value":
		if _, ok := f.Value.(*stringList); ok {
			return "list"
		}
		return "string"
	case "":
		return "string"
	}
	return typ
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
