package drills

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

var (
	fullFlag  = flag.Bool("drills.full", false, "run every drill at full length (make drills); default: the short versions run in make test")
	tableFlag = flag.String("drills.table", "", "also write the drills' result table to this file")
	binFlag   = flag.String("drills.bin", "", "the linkwatch binary to drill (default: $LINKWATCH_DRILLS_BIN, else built once for the run)")
)

// suite is what one run of the drills shares: the binary and the table.
type suite struct {
	dir string // removed after the run

	buildOnce sync.Once
	bin       string
	buildErr  error

	table table
}

var drills *suite // set by TestMain only; the drills read it, never replace it

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "linkwatch-drills-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "drills:", err)
		os.Exit(1)
	}
	drills = &suite{dir: dir}
	code := m.Run()
	os.RemoveAll(dir)
	if out := drills.table.String(); out != "" {
		if *tableFlag == "" {
			fmt.Println()
			fmt.Print(out)
		} else {
			if err := os.WriteFile(*tableFlag, []byte(out), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "drills: write table:", err)
				code = 1
			}
		}
	}
	os.Exit(code)
}

// full says whether this run is `make drills` (the full length).
func full() bool { return *fullFlag }

// scaled picks the full or the short value of a drill's parameter.
func scaled[T any](fullValue, shortValue T) T {
	if full() {
		return fullValue
	}
	return shortValue
}

// binary returns the linkwatch binary: -drills.bin, $LINKWATCH_DRILLS_BIN, or
// one built for this run (once, whichever drill asks first).
func binary(t testing.TB) string {
	t.Helper()
	s := drills
	s.buildOnce.Do(func() {
		if p := cmp.Or(*binFlag, os.Getenv("LINKWATCH_DRILLS_BIN")); p != "" {
			s.bin = p
			return
		}
		gobin, err := exec.LookPath("go")
		if err != nil {
			gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		s.bin = filepath.Join(s.dir, "linkwatch")
		start := time.Now()
		cmd := exec.Command(gobin, "build", "-o", s.bin, "github.com/linkwatch/linkwatch/cmd/linkwatch")
		if out, err := cmd.CombinedOutput(); err != nil {
			s.buildErr = fmt.Errorf("go build ./cmd/linkwatch: %v\n%s", err, out)
			return
		}
		fmt.Fprintf(os.Stderr, "drills: built linkwatch in %s\n", time.Since(start).Round(100*time.Millisecond))
	})
	if s.buildErr != nil {
		t.Fatal(s.buildErr)
	}
	return s.bin
}
