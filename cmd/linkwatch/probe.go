package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting/datadog"
	"github.com/linkwatch/linkwatch/config"
	"github.com/linkwatch/linkwatch/prober"
	"github.com/linkwatch/linkwatch/prober/schedule"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
)

// newRunner builds a prober for cfg's region around a source and a sink;
// closing the returned io.Closer stops its checker and its DataDog client.
// fetchVia, when set, is where short links are fetched instead of their own
// host (a remote prober's explicit LINKWATCH_PUBLIC_URL).
func newRunner(cfg *config.Config, id string, fetchVia *url.URL, src prober.Source, sink prober.Sink, log *slog.Logger, reg prometheus.Registerer) (*prober.Runner, io.Closer, error) {
	var observers []prober.ResultObserver
	var dd *datadog.Client
	if cfg.DogStatsDAddr != "" {
		var err error
		dd, err = datadog.New(datadog.Config{Addr: cfg.DogStatsDAddr, Tags: []string{"service:linkwatch"}})
		if err != nil {
			return nil, nil, fmt.Errorf("dogstatsd: %w", err)
		}
		observers = append(observers, dd)
	}
	checker := prober.NewChecker(prober.Config{
		Region: cfg.Region, ProberID: id, PublicURL: fetchVia, AllowPrivate: cfg.ProbeAllowPrivate,
		Timeout: cfg.ProbeTimeout,
	})
	confirm := cfg.ProbeConfirm
	if confirm == 0 {
		confirm = -1 // the setting's 0 is "off"; the scheduler's is "default"
	}
	sched := schedule.New(schedule.Config{
		Concurrency: cfg.ProbeConcurrency, PerHost: cfg.ProbePerHost, Timeout: cfg.ProbeTimeout + 5*time.Second, Confirm: confirm,
	}, reg)
	runner := prober.NewRunner(prober.RunnerConfig{Refresh: cfg.ProbeRefresh, QREvery: 24 * time.Hour, Observers: observers},
		cfg.Region, checker, sched, src, sink, log, reg)
	return runner, closerFunc(func() error {
		checker.Close()
		if dd != nil {
			return dd.Close()
		}
		return nil
	}), nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// proberID names a prober among its region's: id when given, else
// region/hostname, so a restarted prober is the same prober (no process ID:
// a restart must not leave a silent "old" prober behind).
func proberID(region, id string) (string, error) {
	if id == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			return "", fmt.Errorf("config: cannot name this prober from its host name (%v): set --id", err)
		}
		id = region + "/" + host
	}
	if len(id) > prober.MaxProberID || strings.ContainsAny(id, "\x00\n\r") {
		return "", fmt.Errorf("config: --id must be at most %d bytes, on one line; got %d bytes", prober.MaxProberID, len(id))
	}
	return id, nil
}

// defaultProberAddr is where a remote prober serves /healthz and /metrics
// unless --addr says otherwise: loopback, and not the server's :8080, so it
// starts beside serve on one host.
const defaultProberAddr = "127.0.0.1:9464"

// retention prunes raw results and rollups past their retention, hourly.
type pruner interface {
	PruneResults(ctx context.Context, before time.Time) (int64, error)
	PruneRollups(ctx context.Context, resolution time.Duration, before time.Time) (int64, error)
	PruneAlertEvents(ctx context.Context, before time.Time) (int64, error)
}

func runRetention(ctx context.Context, st pruner, cfg *config.Config, log *slog.Logger) error {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		now := time.Now()
		if n, err := st.PruneResults(ctx, now.Add(-cfg.ResultRetention)); err != nil && ctx.Err() == nil {
			log.Warn("pruning old results failed", "err", err)
		} else if n > 0 {
			log.Info("pruned old check results", "results", n)
		}
		for _, res := range []time.Duration{linkwatch.Hourly, linkwatch.Daily} {
			if _, err := st.PruneRollups(ctx, res, now.Add(-cfg.RollupRetention)); err != nil && ctx.Err() == nil {
				log.Warn("pruning old rollups failed", "err", err)
			}
		}
		// Alert history is kept as long as the rollups it explains.
		if _, err := st.PruneAlertEvents(ctx, now.Add(-cfg.RollupRetention)); err != nil && ctx.Err() == nil {
			log.Warn("pruning old alert history failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// runProber is `linkwatch prober`: a remote prober for one region that pulls
// its share of the checks from the control plane and pushes results back.
func runProber(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("prober", stderr) // the settings a prober uses
	control := fs.String("control", "", "control plane base URL (env LINKWATCH_CONTROL)")
	token := fs.String("token", "", "prober-scoped API token (env LINKWATCH_PROBER_TOKEN)")
	spool := fs.String("spool", "", "directory for results the control plane cannot take yet (default: linkwatch-spool-<region>)")
	spoolMax := fs.Int64("spool-max-bytes", 256<<20, "bound of the spool")
	id := fs.String("id", "", "this prober's id among its region's probers, at most 128 bytes (default: region/hostname)")
	cfg, err := loadFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	if *control == "" {
		*control = getenv("LINKWATCH_CONTROL")
	}
	if *token == "" {
		*token = getenv("LINKWATCH_PROBER_TOKEN")
	}
	cu, err := url.Parse(*control)
	if err != nil || (cu.Scheme != "http" && cu.Scheme != "https") || cu.Host == "" {
		return fmt.Errorf("config: --control must be the control plane's http(s) base URL; got %q", *control)
	}
	if *token == "" {
		return errors.New("config: --token (or LINKWATCH_PROBER_TOKEN) is required: a token with the prober scope")
	}
	if *spool == "" {
		*spool = "linkwatch-spool-" + cfg.Region
	}
	log := newLogger(cfg, stderr).With("role", "prober", "region", cfg.Region)
	reg := prometheus.NewRegistry()
	if *id, err = proberID(cfg.Region, *id); err != nil {
		return err
	}
	// Short links come from the control plane; an explicit public URL only
	// changes where they are fetched (split-horizon DNS).
	var fetchVia *url.URL
	if cfg.IsSet("public_url") {
		fetchVia = cfg.PublicURL
	}
	addr := cfg.Addr
	if !cfg.IsSet("addr") {
		addr = defaultProberAddr
	}
	remote, err := prober.NewRemote(prober.RemoteConfig{
		Control: cu, Token: linkwatch.Secret(*token), Region: cfg.Region, ProberID: *id, Version: readVersion(debug.ReadBuildInfo()).short(),
		SpoolDir: filepath.Clean(*spool), SpoolMax: *spoolMax,
	}, log, reg)
	if err != nil {
		return err
	}
	if err := remote.Register(ctx); err != nil {
		return err
	}
	runner, closer, err := newRunner(cfg, *id, fetchVia, remote, remote, log, reg)
	if err != nil {
		return err
	}
	defer closer.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (--addr): %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "Linkwatch prober %s for region %s, control plane %s, health and metrics on http://%s\n", *id, cfg.Region, cu.Redacted(), ln.Addr())
	if fetchVia != nil {
		fmt.Fprintf(stdout, "Short links are fetched through %s (LINKWATCH_PUBLIC_URL)\n", fetchVia)
	}

	g, gctx := errgroup.WithContext(ctx)
	// The remote stops after the runner, so the last results are pushed or spooled.
	remoteCtx, stopRemote := context.WithCancel(context.Background())
	defer stopRemote()
	g.Go(func() error { defer stopRemote(); return runner.Run(gctx) })
	g.Go(func() error { return remote.Run(remoteCtx) })
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	return g.Wait()
}

// heartbeat records the in-process prober's liveness every 10 s and, when
// ctx ends, deregisters it, so a restart of serve leaves no silent prober.
// Each write runs to its end even when ctx ends meanwhile, so no heartbeat
// lands after the deregistration and revives the prober.
func heartbeat(ctx context.Context, st interface {
	Heartbeat(context.Context, linkwatch.ProberInfo) error
	StopProber(ctx context.Context, id, region string, at time.Time) error
}, info linkwatch.ProberInfo, now func() time.Time, log *slog.Logger) error {
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		info.LastSeen = now().UTC()
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err := st.Heartbeat(wctx, info)
		cancel()
		if err != nil {
			log.Warn("prober heartbeat failed", "err", err)
		}
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := st.StopProber(sctx, info.ID, info.Region, now().UTC()); err != nil {
				log.Warn("cannot deregister the prober", "prober", info.ID, "err", err)
			}
			return nil
		case <-tick.C:
		}
	}
}
