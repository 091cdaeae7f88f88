// Command linkwatch is the Linkwatch binary: one subcommand per role.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
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
  check-config   validate the configuration (and, with a reachable database, what status components point at) and exit
  links          manage links on a running server: create, list, get, update, delete, failover, health, scans, qr
  tokens         manage API tokens on a running server: create, list, delete; reset-admin on the database
  version        print the version

Run 'linkwatch <command> -h' or 'linkwatch help <command>' for a command's flags.
Client commands print a table; --json prints the server's JSON instead.
`

// run is the whole program; tests call it in-process. -h and --help print
// the usage of the command to stdout and succeed.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	if cmd == "help" {
		if len(rest) == 0 {
			fmt.Fprint(stdout, usage)
			return nil
		}
		cmd, rest = rest[0], append(slices.Clone(rest[1:]), "-h")
	}
	if wantsHelp(rest) {
		// A command's usage is printed where its flag errors would be: on
		// stdout for help, and parsing stops at the help flag, so nothing
		// runs.
		stderr = stdout
	}
	switch cmd {
	case "serve", "redirector", "control":
		return runServer(ctx, role(cmd), rest, getenv, stdout, stderr)
	case "prober":
		return runProber(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "check-config":
		return runCheckConfig(ctx, rest, getenv, stdout, stderr)
	case "links":
		return runLinks(ctx, rest, getenv, stdout, stderr)
	case "tokens":
		return runTokens(ctx, rest, getenv, stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(rest, stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
