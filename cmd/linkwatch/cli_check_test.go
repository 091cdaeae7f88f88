package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// TestCheckConfigComponents: check-config reports the status components
// that point at a link, tag or monitor the database does not have; without
// a reachable database it says it could not check, and the configuration
// is still valid. The check creates and migrates nothing.
func TestCheckConfigComponents(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "linkwatch.yaml")
	writeFile(t, cfgPath, `status_components:
  - {id: shop, name: Shop, link: spring}
  - {id: promo, name: Promo, link: sprnig}
  - {id: campaign, name: Campaign, tag: autumn}
  - {id: api, name: API, monitor: api-health}
`)

	// No database yet: valid, not checked, and no file made.
	db := filepath.Join(dir, "linkwatch.db")
	out, _, err := runCLI(t, nil, "check-config", "--config", cfgPath, "--db", db)
	if err != nil || !strings.Contains(out, "configuration is valid") ||
		!strings.Contains(out, "status components not checked against the database: could not read SQLite "+db+": the SQLite file does not exist") {
		t.Fatalf("without a database: %v\n%s", err, out)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("check-config created the database: %v", err)
	}
	// An unreachable PostgreSQL: said, not a crash, and no password shown.
	pg := "postgres://lw:hunter2-db-password@127.0.0.1:1/linkwatch?sslmode=disable&connect_timeout=2"
	out, _, err = runCLI(t, nil, "check-config", "--config", cfgPath, "--db", pg)
	if err != nil || !strings.Contains(out, "could not read PostgreSQL 127.0.0.1:1/linkwatch") || strings.Contains(out, "hunter2") {
		t.Fatalf("unreachable PostgreSQL: %v\n%s", err, out)
	}

	st, err := openStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.CreateLink(t.Context(), &linkwatch.Link{Slug: "spring", Destination: "https://shop.example.com/", RedirectCode: 302,
		Tags: []string{"spring"}, CheckInterval: time.Minute, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, _, err = runCLI(t, nil, "check-config", "--config", cfgPath, "--db", db)
	if err == nil || err.Error() != "check-config: 3 status component(s) point at a link, tag or monitor that does not exist" {
		t.Errorf("err = %v", err)
	}
	for _, re := range []string{
		`(?m)^COMPONENT +SOURCE +POINTS AT +PROBLEM$`,
		`(?m)^promo +config +link sprnig +no link has this slug$`,
		`(?m)^campaign +config +tag autumn +no live link has this tag$`,
		`(?m)^api +config +monitor api-health +no monitor has this name$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no %s in\n%s", re, out)
		}
	}
	if strings.Contains(out, "shop ") {
		t.Errorf("the component whose link exists is reported:\n%s", out)
	}

	out, _, _ = runCLI(t, nil, "check-config", "--config", cfgPath, "--db", db, "--json")
	var report struct {
		Valid    bool
		Checked  bool               `json:"components_checked"`
		Problems []componentProblem `json:"component_problems"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || !report.Valid || !report.Checked || len(report.Problems) != 3 ||
		report.Problems[0] != (componentProblem{Component: "promo", Source: "config", Kind: "link", Target: "sprnig", Problem: "no link has this slug"}) {
		t.Errorf("--json: %v %+v\n%s", err, report, out)
	}
}
