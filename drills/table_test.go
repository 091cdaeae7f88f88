package drills

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// table collects the rows of every drill of a run, printed once at the end.
type table struct {
	mu   sync.Mutex
	rows []row
}

type row struct {
	drill, measured, result string
	pass                    bool
	gap                     bool // a promise Linkwatch does not keep yet: reported, not asserted
	info                    bool // a measurement with no target: reported, not asserted
	skipped                 bool
}

// report is one drill's part of the table. Each measurement is a row; when
// the drill's test fails or skips without a row saying why, a row says so.
type report struct {
	t     *testing.T
	drill string
	rows  int
	bad   bool
}

// newReport starts drill's rows (e.g. "1. rolling restart"). The rows go to
// the run's table when t ends.
func newReport(t *testing.T, drill string) *report {
	r := &report{t: t, drill: drill}
	t.Cleanup(func() {
		switch {
		case t.Skipped():
			drills.table.add(row{drill: drill, measured: "—", result: "not run (see the test log)", pass: true, skipped: true})
		case t.Failed() && !r.bad:
			drills.table.add(row{drill: drill, measured: "the drill as a whole", result: "failed: see the test log"})
		case r.rows == 0:
			drills.table.add(row{drill: drill, measured: "—", result: "no measurement"})
		}
	})
	return r
}

// row records one measurement and whether it met its target; a missed
// target also fails the test.
func (r *report) row(measured, result string, pass bool) {
	r.t.Helper()
	r.rows++
	if !pass {
		r.bad = true
		r.t.Errorf("%s: %s: %s", r.drill, measured, result)
	} else {
		r.t.Logf("%s: %s: %s", r.drill, measured, result)
	}
	drills.table.add(row{drill: r.drill, measured: measured, result: result, pass: pass})
}

// info records a measurement with no target (reported, not asserted).
func (r *report) info(measured, result string) {
	r.t.Helper()
	r.rows++
	r.t.Logf("%s: %s: %s", r.drill, measured, result)
	drills.table.add(row{drill: r.drill, measured: measured, result: result, pass: true, info: true})
}

// gap records a promise of the issue that Linkwatch does not keep yet, and
// why: shown in the table as a gap, not failing the test (it is not
// something the drill can fix).
func (r *report) gap(measured, result string) {
	r.t.Helper()
	r.rows++
	r.t.Logf("%s: %s: GAP: %s", r.drill, measured, result)
	drills.table.add(row{drill: r.drill, measured: measured, result: result, pass: true, gap: true})
}

func (tb *table) add(r row) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.rows = append(tb.rows, r)
}

// String is the table in Markdown, "" when no drill ran.
func (tb *table) String() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.rows) == 0 {
		return ""
	}
	length := "short"
	if full() {
		length = "full"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Drills (%s length)\n\n| drill | what was measured | result | pass/fail |\n| --- | --- | --- | --- |\n", length)
	for _, r := range tb.rows {
		verdict := "pass"
		switch {
		case !r.pass:
			verdict = "**FAIL**"
		case r.gap:
			verdict = "gap (not asserted)"
		case r.info:
			verdict = "info (not asserted)"
		case r.skipped:
			verdict = "skipped"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", esc(r.drill), esc(r.measured), esc(r.result), verdict)
	}
	return b.String()
}

func esc(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
