// Command linkwatch is the Linkwatch binary: one subcommand per role.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the status page's time zone, in images without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "linkwatch:", err)
		os.Exit(1)
	}
}

const usage = `usage: linkwatch <command> [flags]

commands:
  serve          everything in one process: redirector, control API, a prober (default storage: SQLite)
  redirector     only the redirect core
  control        only the control API
  prober         a regional prober: --region R --control URL --token T
  migrate        apply the embedded database migrations and exit
  check-config   validate the configuration and exit
  links          manage links on a running server: create, list, get, delete
  tokens         manage API tokens on a running server: create, list, delete

Run 'linkwatch <command> -h' for a command's flags.
`

// run is the whole program; tests call it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve", "redirector", "control":
		return runServer(ctx, role(cmd), rest, getenv, stdout, stderr)
	case "prober":
		return runProber(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "check-config":
		return runCheckConfig(rest, getenv, stdout, stderr)
	case "links":
		return runLinks(ctx, rest, getenv, stdout, stderr)
	case "tokens":
		return runTokens(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
