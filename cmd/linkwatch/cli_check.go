package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/statuspage"
)

// componentProblem is a status component that points at nothing.
type componentProblem struct {
	Component string `json:"component"`
	Source    string `json:"source"` // config or api
	Kind      string `json:"kind"`   // link, tag or monitor
	Target    string `json:"target"`
	Problem   string `json:"problem"`
}

// checkSources is what the component check reads from the database.
type checkSources interface {
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	ListMonitors(ctx context.Context) ([]*linkwatch.Monitor, error)
	ListComponents(ctx context.Context) ([]statuspage.Component, error)
}

// danglingComponents lists the components — the file's, then those made by
// the API — whose link, tag or monitor does not exist (an expired link
// counts as gone: the status page shows no data for it either).
func danglingComponents(ctx context.Context, src checkSources, fromFile []statuspage.Component, now time.Time) ([]componentProblem, error) {
	links, err := src.ListLinks(ctx, linkwatch.LinkFilter{})
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	monitors, err := src.ListMonitors(ctx)
	if err != nil {
		return nil, fmt.Errorf("list monitors: %w", err)
	}
	stored, err := src.ListComponents(ctx)
	if err != nil {
		return nil, fmt.Errorf("list status components: %w", err)
	}
	slugs, tags := map[string]bool{}, map[string]bool{}
	expired := map[string]bool{}
	for _, l := range links {
		if _, _, gone := l.Target(now); gone {
			expired[l.Slug] = true
			continue
		}
		slugs[l.Slug] = true
		for _, t := range l.Tags {
			tags[t] = true
		}
	}
	names := map[string]bool{}
	for _, m := range monitors {
		names[m.Name] = true
	}
	var out []componentProblem
	check := func(c statuspage.Component, source string) {
		p := componentProblem{Component: c.ID, Source: source}
		switch {
		case c.Link != "" && !slugs[c.Link]:
			p.Kind, p.Target, p.Problem = "link", c.Link, "no link has this slug"
			if expired[c.Link] {
				p.Problem = "the link has expired"
			}
		case c.Tag != "" && !tags[c.Tag]:
			p.Kind, p.Target, p.Problem = "tag", c.Tag, "no live link has this tag"
		case c.Monitor != "" && !names[c.Monitor]:
			p.Kind, p.Target, p.Problem = "monitor", c.Monitor, "no monitor has this name"
		default:
			return
		}
		out = append(out, p)
	}
	for _, c := range fromFile {
		check(c, "config")
	}
	for _, c := range stored {
		if c.Source == "api" && !slices.ContainsFunc(fromFile, func(f statuspage.Component) bool { return f.ID == c.ID }) {
			check(c, "api")
		}
	}
	return out, nil
}

// openForCheck opens the database without creating or migrating it: a
// check must change nothing.
func openForCheck(ctx context.Context, dsn string) (checkSources, func(), error) {
	if !isPostgres(dsn) {
		if _, err := os.Stat(dsn); err != nil {
			return nil, nil, errors.New("the SQLite file does not exist")
		}
	}
	s, err := openDB(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}

// runCheckConfig validates the configuration and then, when the database
// is reachable, that every status component points at a link, tag or
// monitor that exists. An unreachable database is said, not an error: the
// configuration itself is valid.
func runCheckConfig(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check-config", stderr)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cfg, err := loadFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	report := struct {
		Valid      bool               `json:"valid"`
		Database   string             `json:"database"`
		Checked    bool               `json:"components_checked"`
		NotChecked string             `json:"components_not_checked,omitempty"`
		Problems   []componentProblem `json:"component_problems"`
	}{Valid: true, Database: describeDB(cfg.DB), Problems: []componentProblem{}}

	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	src, closeDB, err := openForCheck(cctx, cfg.DB)
	if err == nil {
		defer closeDB()
		var problems []componentProblem
		if problems, err = danglingComponents(cctx, src, cfg.StatusComponents, time.Now()); err == nil {
			report.Checked, report.Problems = true, append(report.Problems, problems...)
		}
	}
	if err != nil {
		report.NotChecked = fmt.Sprintf("could not read %s: %v", describeDB(cfg.DB), err)
	}

	if *asJSON {
		if err := printJSON(stdout, report); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout, "configuration is valid")
		switch {
		case !report.Checked && len(cfg.StatusComponents) > 0:
			fmt.Fprintf(stdout, "status components not checked against the database: %s (give --db or LINKWATCH_DB)\n", report.NotChecked)
		case report.Checked && len(report.Problems) == 0:
			fmt.Fprintf(stdout, "status components: every link, tag and monitor they point at exists in %s\n", report.Database)
		case len(report.Problems) > 0:
			fmt.Fprintf(stdout, "status components pointing at nothing in %s:\n", report.Database)
			var rows [][]string
			for _, p := range report.Problems {
				rows = append(rows, []string{p.Component, p.Source, p.Kind + " " + p.Target, p.Problem})
			}
			if err := printTable(stdout, []string{"COMPONENT", "SOURCE", "POINTS AT", "PROBLEM"}, rows); err != nil {
				return err
			}
		}
	}
	if n := len(report.Problems); n > 0 {
		return fmt.Errorf("check-config: %d status component(s) point at a link, tag or monitor that does not exist", n)
	}
	return nil
}
