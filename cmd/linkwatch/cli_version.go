package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// buildVersion is what the binary knows of its own build.
type buildVersion struct {
	Version  string `json:"version"`            // the module version: v1.2.3 from go install, (devel) from a checkout
	Revision string `json:"revision,omitempty"` // the VCS commit
	Time     string `json:"time,omitempty"`     // the commit's time
	Modified bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go       string `json:"go"`
}

// readVersion reads the build information the Go toolchain embeds.
func readVersion(info *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Version: "unknown", Go: "unknown"}
	if !ok || info == nil {
		return v
	}
	v.Go = info.GoVersion
	if info.Main.Version != "" {
		v.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// short is the version a prober reports in its heartbeats: the module
// version, and the commit it was built from when known.
func (v buildVersion) short() string {
	s := v.Version
	if v.Revision != "" {
		s += "+" + v.Revision[:min(12, len(v.Revision))]
		if v.Modified {
			s += ".dirty"
		}
	}
	return s
}

func (v buildVersion) String() string {
	s := "linkwatch " + v.Version
	var parts []string
	if v.Revision != "" {
		rev := v.Revision
		if v.Modified {
			rev += " (modified)"
		}
		parts = append(parts, "revision "+rev)
	}
	if v.Time != "" {
		parts = append(parts, "built from a commit of "+v.Time)
	}
	parts = append(parts, v.Go)
	return s + " (" + strings.Join(parts, ", ") + ")"
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	asJSON := fs.Bool("json", false, "print the version as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("version: unexpected argument %q", fs.Arg(0))
	}
	v := readVersion(debug.ReadBuildInfo())
	if *asJSON {
		return printJSON(stdout, v)
	}
	_, err := fmt.Fprintln(stdout, v)
	return err
}
