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
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/api"
	"github.com/linkwatch/linkwatch/config"
	"github.com/linkwatch/linkwatch/dashboard"
	"github.com/linkwatch/linkwatch/edge"
	"github.com/linkwatch/linkwatch/prober"
	"github.com/linkwatch/linkwatch/redirector"
	"github.com/linkwatch/linkwatch/storage"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
)

// role is what a server process does.
type role string

const (
	roleServe      role = "serve"      // everything
	roleRedirector role = "redirector" // redirects only
	roleControl    role = "control"    // API only
)

func (r role) redirects() bool { return r == roleServe || r == roleRedirector }
func (r role) controls() bool  { return r == roleServe || r == roleControl }

// runServer runs a server role until ctx ends, then drains: readiness turns
// 503, after DrainDelay the listener closes and in-flight requests finish, and
// only then is the scan queue flushed, so no scan is left behind.
func runServer(ctx context.Context, rl role, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(string(rl), args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr).With("role", string(rl))

	// Listen first: without a configured public URL, short links use the
	// port really listened on (an addr of :0 picks one).
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	if !cfg.IsSet("public_url") {
		cfg.PublicURL = localPublicURL(ln.Addr())
	}
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("listen on %s (metrics_addr): %w", cfg.MetricsAddr, err)
		}
		defer metricsLn.Close()
	}

	st, err := openStore(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()

	reg := prometheus.NewRegistry()
	// Every metric is named linkwatch_…, the runtime's included.
	prometheus.WrapRegistererWithPrefix("linkwatch_", reg).MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	reg.MustRegister(storage.NewPoolCollector(st.PoolStats), storage.NewUpCollector(st.Ping))
	durations := edge.NewDurations()
	reg.MustRegister(durations)
	// The edge sets each request's deadlines, body limit and admission by
	// its route's class. Bulk routes include "check now", which waits for a
	// check's timeout and a push.
	guard := edge.New(edge.Config{Timeout: cfg.ClientTimeout, Log: log,
		BulkTimeout: max(6*cfg.ClientTimeout, cfg.ProbeTimeout+5*time.Second+cfg.ClientTimeout)}, reg)

	var draining atomic.Bool
	mux := chi.NewRouter()
	mux.Use(edge.Measure(durations)) // every route but redirects, which the redirector measures
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { guard.Run(gctx); return nil }) // tells the admission limiter when processors are short
	// The recorder stops only after the HTTP server has, so it gets every scan.
	recCtx, stopRecorder := context.WithCancel(context.Background())
	defer stopRecorder()

	ready := func(ctx context.Context) error { return nil }
	var handler http.Handler = mux
	var scanDrops func() float64 // this process's redirector's, for the alert engine
	if rl.redirects() {
		cache := redirector.NewCache(st, log)
		rec := redirector.NewRecorder(redirector.RecorderConfig{
			QueueSize: cfg.ScanQueueSize, BatchSize: cfg.ScanBatchSize,
			FlushInterval: cfg.ScanFlushInterval, DrainTimeout: cfg.ShutdownTimeout,
		}, st, log, reg)
		rd := redirector.New(redirector.Config{CountryHeader: cfg.CountryHeader}, cache, rec, reg, durations)
		handler = rd.Handler(mux)
		g.Go(func() error { return cache.Run(gctx) })
		g.Go(func() error { return rec.Run(recCtx) })
		scanDrops = func() float64 { return float64(rec.Dropped()) }
		ready = func(context.Context) error {
			if !cache.Loaded() {
				return errors.New("link cache not loaded yet")
			}
			return nil // cached links keep redirecting while the database is down
		}
	}
	var adminSecret linkwatch.Secret
	var chans *alerting.Channels
	var page *status
	var control *api.API
	if rl.controls() {
		var closeChannels func()
		if chans, closeChannels, err = buildChannels(cfg); err != nil {
			return err
		}
		defer closeChannels()
		if page, err = statusPage(cfg, st, log); err != nil {
			return err
		}
		page.handler.Routes(mux)
		page.subs.Routes(mux)
		g.Go(func() error { return page.Run(gctx) })
		// "Check now" waits for a check's timeout and a push.
		a := api.New(api.Config{PublicURL: cfg.PublicURL, AdminToken: cfg.AdminToken, Rules: cfg.AlertRules, Routes: cfg.Routes,
			Probers: cfg.ProberLifecycle(), CheckTimeout: cfg.ProbeTimeout + 5*time.Second}, log,
			api.Stores{Links: st, Scans: st, Tokens: st, Monitors: st, Health: st, Probes: st, Alerts: st, Silences: st,
				Rules: st, Channels: chans, Status: page, Signals: st})
		apiHandler := a.Handler()
		mux.Mount("/api/v1", apiHandler)
		// The dashboard calls the API's handler in-process as its sessions'
		// tokens; GET / sends a signed-in browser to it, anyone else to
		// the status page.
		board := dashboard.New(dashboard.Config{PublicURL: cfg.PublicURL, SessionTTL: cfg.DashboardSessionTTL, Log: log},
			dashboard.Deps{API: apiHandler, Tokens: a, Sessions: st, Links: st, Campaigns: st, Keys: st})
		g.Go(func() error { return board.Warm(gctx) }) // the links table's first pages, before the first visitor
		dash := board.Handler()
		mux.Get("/", dash.ServeHTTP)
		mux.Handle("/dashboard", dash)
		mux.Handle("/dashboard/*", dash)
		g.Go(func() error { return a.FeedLinks(gctx, st) }) // pushes link changes to probers
		g.Go(func() error { return a.FeedSignals(gctx) })   // and every replica's monitor changes and check requests
		control = a
		if !rl.redirects() {
			ready = st.Ping // the API is useless without its database
		}
	}
	if rl == roleServe {
		// The in-process prober for this region. Its writer stops after it,
		// so the last results are written. It checks the short URLs this
		// server hands out, fetched as they are.
		id, err := proberID(cfg.Region, "")
		if err != nil {
			return err
		}
		results := prober.NewWriter(st, 100_000, 500, time.Second, cfg.ShutdownTimeout, log, reg)
		// Changes reach it in-process, as they reach remote probers'
		// streams, and its results tell "check now" and second opinions.
		src := inProcessSource{StoreSource: prober.StoreSource{Store: st, PublicURL: cfg.PublicURL}, control: control, region: cfg.Region, id: id}
		sink := ingestSink{results, control}
		runner, closer, err := newRunner(cfg, id, nil, src, sink, log.With("region", cfg.Region), reg)
		if err != nil {
			return err
		}
		defer closer.Close()
		writerCtx, stopWriter := context.WithCancel(context.Background())
		defer stopWriter()
		g.Go(func() error { defer stopWriter(); return runner.Run(gctx) })
		g.Go(func() error { return results.Run(writerCtx) })
		g.Go(func() error {
			return heartbeat(gctx, st, linkwatch.ProberInfo{ID: id, Region: cfg.Region, Version: "in-process"}, time.Now, log)
		})
	}
	if rl.controls() {
		g.Go(func() error { return runRetention(gctx, st, cfg, log) })
		if err := startAlerting(gctx, g, cfg, st, chans, page.subs, scanDrops, log, reg); err != nil {
			return err
		}
	}
	mux.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if draining.Load() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		if err := ready(ctx); err != nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)})
	mux.Method(http.MethodGet, "/metrics", metrics)

	// No server-wide read or write timeout: the edge sets both per request,
	// and none for the probers' stream.
	srv := &http.Server{
		Handler:           guard.Handler(handler),
		ReadHeaderTimeout: guard.ReadHeaderTimeout(),
		IdleTimeout:       guard.IdleTimeout(),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if control != nil {
		srv.RegisterOnShutdown(control.CloseStreams) // probers' streams would hold the shutdown up
	}
	// The bootstrap admin token is created last, once nothing else can fail
	// at start: a token printed by a process that then exits is lost.
	if rl.controls() && cfg.AdminToken == "" {
		if adminSecret, _, err = api.EnsureAdminToken(ctx, st, time.Now()); err != nil {
			return fmt.Errorf("bootstrap admin token: %w", err)
		}
	}
	printBanner(stdout, rl, listenURL(ln.Addr()), cfg, adminSecret)
	if metricsLn != nil {
		// Only /metrics (GET and HEAD; 405 for other methods, 404 elsewhere).
		metricsMux := http.NewServeMux()
		metricsMux.Handle("GET /metrics", metrics)
		msrv := &http.Server{Handler: metricsMux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		log.Info("metrics listener started", "addr", metricsLn.Addr().String())
		g.Go(func() error {
			if err := msrv.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			return msrv.Close() // a scrape cut short is retried; no data to lose
		})
	}
	log.Info("linkwatch started", "addr", ln.Addr().String(), "db", describeDB(cfg.DB), "public_url", cfg.PublicURL.String())

	g.Go(func() error {
		if err := srv.Serve(guard.Listener(ln, edge.MaxConns)); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		draining.Store(true)
		log.Info("shutting down: draining", "drain_delay", cfg.DrainDelay)
		time.Sleep(cfg.DrainDelay)
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		err := srv.Shutdown(sctx)
		stopRecorder()
		return err
	})
	err = g.Wait()
	log.Info("linkwatch stopped")
	return err
}

// localPublicURL is the public URL of a server listening on a with none
// configured: http://localhost:<port>.
func localPublicURL(a net.Addr) *url.URL {
	_, port, _ := net.SplitHostPort(a.String())
	return &url.URL{Scheme: "http", Host: net.JoinHostPort("localhost", port)}
}

// listenURL is a URL for the address the server listens on.
func listenURL(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if host == "::" || host == "0.0.0.0" || host == "" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printBanner tells a person what just started and how to use it. A generated
// admin token is shown here once; a configured one never is.
func printBanner(w io.Writer, rl role, url string, cfg *config.Config, adminSecret linkwatch.Secret) {
	fmt.Fprintf(w, "Linkwatch %s listening on %s (%s)\n", rl, url, describeDB(cfg.DB))
	if rl.redirects() || rl.controls() {
		if cfg.IsSet("public_url") {
			fmt.Fprintf(w, "Short links and QR codes use %s (public_url)\n", cfg.PublicURL)
		} else {
			fmt.Fprintf(w, "Short links and QR codes use %s: set LINKWATCH_PUBLIC_URL to the address visitors use\n", cfg.PublicURL)
		}
	}
	if !rl.controls() {
		return
	}
	token := "$LINKWATCH_TOKEN"
	switch {
	case adminSecret != "":
		token = adminSecret.Reveal()
		fmt.Fprintf(w, "Admin token (shown once, keep it safe): %s\n", token)
	case cfg.AdminToken != "":
		token = "$LINKWATCH_ADMIN_TOKEN"
		fmt.Fprintln(w, "Admin token: the one set in LINKWATCH_ADMIN_TOKEN")
	default:
		fmt.Fprintln(w, "Admin token: printed on first start; set LINKWATCH_ADMIN_TOKEN to use one of your choosing")
	}
	fmt.Fprintf(w, "Create your first link:\n  curl -sS -X POST %s/api/v1/links -H \"Authorization: Bearer %s\" -H 'Content-Type: application/json' -d '{\"destination\":\"https://example.com/\"}'\n",
		strings.TrimSuffix(url, "/"), token)
}

// inProcessSource is serve's prober's source: every link and monitor, with
// changes pushed in-process by the API (no polling between refreshes).
type inProcessSource struct {
	prober.StoreSource
	control    *api.API
	region, id string
}

func (s inProcessSource) Watch(ctx context.Context, fn func(prober.Change)) error {
	return s.control.WatchShare(ctx, s.region, s.id, true, func(c prober.Change) error { fn(c); return nil })
}

// ingestSink writes serve's results and tells the API about them.
type ingestSink struct {
	w       *prober.Writer
	control *api.API
}

func (s ingestSink) Submit(r linkwatch.Result) {
	s.w.Submit(r)
	// A second opinion is rare (once per link per interval) and a quick
	// NOTIFY; bounded so a slow database cannot hold the prober up long.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.control.Ingested(ctx, []linkwatch.Result{r})
}
