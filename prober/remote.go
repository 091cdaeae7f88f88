package prober

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
)

// RemoteConfig configures a prober that talks to a control plane.
type RemoteConfig struct {
	Control   *url.URL
	Token     linkwatch.Secret
	Region    string
	ProberID  string
	Version   string
	SpoolDir  string
	SpoolMax  int64         // bytes
	Push      time.Duration // how often results are pushed (default 1s)
	Heartbeat time.Duration // default 10s
	Batch     int           // results per push (default 500)
	HTTP      *http.Client
}

// Remote is the Source and Sink of a remote prober: it pulls assignments
// from the control plane and pushes results in batches. When a push fails,
// the batch goes to the spool; the spool is replayed, oldest first, before
// anything newer is pushed, so results arrive in order. Results carry IDs,
// and the control plane stores each ID once, so a replay after an unclear
// failure duplicates nothing.
type Remote struct {
	cfg   RemoteConfig
	log   *slog.Logger
	queue chan linkwatch.Result
	spool *Spool

	pushed, spooled, dropped, rejected prometheus.Counter
	// authFailing is set while pushes are refused with 401/403, so the
	// error is logged when it starts and when it ends, not every second.
	authFailing bool
}

// NewRemote opens the spool and returns the client.
func NewRemote(cfg RemoteConfig, log *slog.Logger, reg prometheus.Registerer) (*Remote, error) {
	if cfg.Push == 0 {
		cfg.Push = time.Second
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 10 * time.Second
	}
	if cfg.Batch == 0 {
		cfg.Batch = 500
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	sp, err := OpenSpool(cfg.SpoolDir, cfg.SpoolMax)
	if err != nil {
		return nil, err
	}
	r := &Remote{
		cfg: cfg, log: log, queue: make(chan linkwatch.Result, 4*cfg.Batch), spool: sp,
		pushed:  prometheus.NewCounter(prometheus.CounterOpts{Name: "linkwatch_prober_results_pushed_total", Help: "Results the control plane accepted."}),
		spooled: prometheus.NewCounter(prometheus.CounterOpts{Name: "linkwatch_prober_results_spooled_total", Help: "Results written to the local spool because the control plane could not take them."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "linkwatch_prober_results_dropped_total", Help: "Results lost because the spool was full."}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "linkwatch_prober_results_rejected_total",
			Help: "Results the control plane rejected as invalid (each logged with its reason); they are never retried."}),
	}
	sp.log = log
	quarantined := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "linkwatch_prober_spool_quarantined_total",
		Help: "Spooled batches that could not be read back and were moved aside as *.bad (their results are lost)."},
		func() float64 { return float64(sp.Quarantined()) })
	spoolBytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "linkwatch_prober_spool_bytes", Help: "Size of the local result spool."},
		func() float64 { return float64(sp.Bytes()) })
	reg.MustRegister(r.pushed, r.spooled, r.dropped, r.rejected, spoolBytes, quarantined)
	return r, nil
}

// Assignments pulls this prober's share of the checks.
func (r *Remote) Assignments(ctx context.Context) ([]LinkAssignment, []*linkwatch.Monitor, error) {
	q := url.Values{"region": {r.cfg.Region}, "prober": {r.cfg.ProberID}}
	var a Assignments
	if err := r.do(ctx, http.MethodGet, "/api/v1/probe/assignments?"+q.Encode(), nil, &a); err != nil {
		return nil, nil, err
	}
	links := make([]LinkAssignment, 0, len(a.Links))
	for _, l := range a.Links {
		links = append(links, l.Assignment())
	}
	monitors := make([]*linkwatch.Monitor, 0, len(a.Monitors))
	for _, m := range a.Monitors {
		monitors = append(monitors, m.Monitor())
	}
	return links, monitors, nil
}

// Submit queues a result. When the queue is full (the pusher is behind), the
// result goes straight to the spool rather than being lost.
func (r *Remote) Submit(res linkwatch.Result) {
	select {
	case r.queue <- res:
	default:
		r.toSpool([]linkwatch.Result{res})
	}
}

// Run beats and pushes until ctx ends, then pushes or spools what is
// queued and deregisters, so a clean stop or restart is never taken for a
// silent prober.
func (r *Remote) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { r.heartbeats(gctx); return nil })
	g.Go(func() error { r.pusher(gctx); return nil })
	err := g.Wait()
	r.deregister()
	return err
}

// heartbeats beats until ctx ends. A beat in flight is finished, not
// canceled, so none can reach the control plane after the deregistration
// and revive the prober.
func (r *Remote) heartbeats(ctx context.Context) {
	tick := time.NewTicker(r.cfg.Heartbeat)
	defer tick.Stop()
	for {
		hb := Heartbeat{Prober: r.cfg.ProberID, Region: r.cfg.Region, Version: r.cfg.Version}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Heartbeat)
		err := r.do(bctx, http.MethodPost, "/api/v1/probe/heartbeat", hb, nil)
		cancel()
		if err != nil && ctx.Err() == nil {
			r.log.Warn("heartbeat failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Register sends the first heartbeat. A control plane that refuses it (a
// wrong or revoked token, a region the token does not name, a bad ID) is an
// error worth stopping the start for, with the control plane's reason; one
// that cannot be reached is not: the prober keeps checking and spooling
// until it can.
func (r *Remote) Register(ctx context.Context) error {
	hb := Heartbeat{Prober: r.cfg.ProberID, Region: r.cfg.Region, Version: r.cfg.Version}
	bctx, cancel := context.WithTimeout(ctx, r.cfg.Heartbeat)
	defer cancel()
	err := r.do(bctx, http.MethodPost, "/api/v1/probe/heartbeat", hb, nil)
	var se *statusError
	if errors.As(err, &se) && se.code >= 400 && se.code < 500 {
		var body struct {
			Error struct{ Message string } `json:"error"`
		}
		if json.Unmarshal([]byte(se.body), &body) == nil && body.Error.Message != "" {
			return fmt.Errorf("the control plane refused prober %s (%d): %s", r.cfg.ProberID, se.code, body.Error.Message)
		}
		return fmt.Errorf("the control plane refused prober %s: %w", r.cfg.ProberID, err)
	}
	if err != nil {
		r.log.Warn("control plane unreachable; checking and spooling until it answers", "err", err)
	}
	return nil
}

// deregister tells the control plane this prober stopped cleanly.
func (r *Remote) deregister() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := Deregister{Prober: r.cfg.ProberID, Region: r.cfg.Region}
	if err := r.do(ctx, http.MethodPost, "/api/v1/probe/deregister", d, nil); err != nil {
		r.log.Warn("cannot deregister from the control plane: it will see this prober as silent", "err", err)
	}
}

func (r *Remote) pusher(ctx context.Context) {
	tick := time.NewTicker(r.cfg.Push)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			r.flush()
			return
		case <-tick.C:
		}
		r.pushOnce(ctx)
	}
}

// pushOnce replays the spool, then pushes what is queued; after any failure
// the rest waits for the next tick (queued results going to the spool, so
// their order is kept).
func (r *Remote) pushOnce(ctx context.Context) {
	for r.spool.Len() > 0 {
		// Unreadable batches are quarantined (and logged) by Oldest.
		batch, seq, ok, _ := r.spool.Oldest()
		if !ok {
			break
		}
		if err := r.push(ctx, batch); err != nil && !errors.Is(err, errRejected) {
			r.toSpool(r.take()) // keep the order: behind what is spooled
			return
		}
		if err := r.spool.Remove(seq); err != nil {
			r.log.Error("cannot remove a replayed spool batch", "err", err)
			return
		}
	}
	for {
		results := r.take()
		if len(results) == 0 {
			return
		}
		if err := r.push(ctx, wireBatch(results)); err != nil && !errors.Is(err, errRejected) {
			r.toSpool(results)
			return
		}
	}
}

// flush runs at shutdown: one last push with a fresh, short deadline, and the
// spool for whatever does not make it.
func (r *Remote) flush() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.pushOnce(ctx)
	if rest := r.take(); len(rest) > 0 {
		r.toSpool(rest)
	}
}

// take removes up to one batch of queued results.
func (r *Remote) take() []linkwatch.Result {
	var out []linkwatch.Result
	for len(out) < r.cfg.Batch {
		select {
		case res := <-r.queue:
			out = append(out, res)
		default:
			return out
		}
	}
	return out
}

func (r *Remote) toSpool(results []linkwatch.Result) {
	if len(results) == 0 {
		return
	}
	if err := r.spool.Append(wireBatch(results)); err != nil {
		r.dropped.Add(float64(len(results)))
		r.log.Error("results lost: cannot spool them", "results", len(results), "err", err)
		return
	}
	r.spooled.Add(float64(len(results)))
}

func wireBatch(results []linkwatch.Result) ResultBatch {
	b := ResultBatch{Results: make([]WireResult, 0, len(results))}
	for i := range results {
		b.Results = append(b.Results, ResultToWire(&results[i]))
	}
	return b
}

// errRejected marks a batch the control plane refused as a whole as invalid:
// retrying cannot help, so it is dropped (and counted) instead of blocking
// the spool.
var errRejected = errors.New("control plane rejected the results")

// push sends one batch. Results the control plane rejects one by one (207)
// or as a whole (4xx) are final: they are logged with the reason, counted in
// linkwatch_prober_results_rejected_total and never spooled again. A refused
// token (401/403) or a busy or failing control plane is not the results'
// fault: the batch stays spooled and is retried.
func (r *Remote) push(ctx context.Context, batch ResultBatch) error {
	var resp ResultsResponse
	err := r.do(ctx, http.MethodPost, "/api/v1/probe/results", batch, &resp)
	var se *statusError
	switch {
	case err == nil:
		r.authRestored()
		r.pushed.Add(float64(resp.Accepted))
		r.logRejected(batch, resp.Rejected)
		return nil
	case errors.As(err, &se) && (se.code == http.StatusUnauthorized || se.code == http.StatusForbidden):
		if !r.authFailing {
			r.authFailing = true
			r.log.Error("control plane refuses this prober's token; results are kept in the spool until it is replaced", "err", err)
		}
		return err
	case errors.As(err, &se) && se.code >= 400 && se.code < 500 && se.code != http.StatusTooManyRequests && se.code != http.StatusRequestTimeout:
		r.rejected.Add(float64(len(batch.Results)))
		r.log.Warn("control plane rejected a whole push; dropping it", "results", len(batch.Results), "err", err)
		return errRejected
	}
	return err
}

// logRejected logs each rejected result at warn with its reason: a rejection
// is a bug or a clock to fix (at out of range), never routine.
func (r *Remote) logRejected(batch ResultBatch, rejected []RejectedResult) {
	r.rejected.Add(float64(len(rejected)))
	for _, rj := range rejected {
		attrs := []any{"index", rj.Index, "id", rj.ID, "field", rj.Field, "reason", rj.Reason}
		if rj.Index >= 0 && rj.Index < len(batch.Results) {
			w := &batch.Results[rj.Index]
			attrs = append(attrs, "kind", w.Kind, "target_id", w.TargetID, "region", w.Region, "at", w.At)
		}
		r.log.Warn("control plane rejected a result; it is not retried", attrs...)
	}
}

func (r *Remote) authRestored() {
	if r.authFailing {
		r.authFailing = false
		r.log.Info("control plane accepts this prober's token again")
	}
}

type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("control plane answered %d: %s", e.code, e.body)
}

func (r *Remote) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(r.cfg.Control.String(), "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.cfg.Token.Reveal())
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.cfg.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode >= 300 {
		msg := string(data)
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return &statusError{resp.StatusCode, msg}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// streamIdle is how long the stream may stay silent before the prober takes
// the connection for dead; the control plane sends a comment every
// StreamKeepalive.
const (
	StreamKeepalive = 15 * time.Second
	streamIdle      = 3 * StreamKeepalive
	maxStreamLine   = 64 << 20 // a full list of many links is one line
)

// Watch holds GET /api/v1/probe/stream open and passes each event on as a
// Change: first the whole share, then changes as the control plane pushes
// them. It returns when ctx ends (nil) or the stream breaks (an error; the
// Runner watches again, and the new stream starts with the whole share).
func (r *Remote) Watch(ctx context.Context, fn func(Change)) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := url.Values{"region": {r.cfg.Region}, "prober": {r.cfg.ProberID}}
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, strings.TrimSuffix(r.cfg.Control.String(), "/")+"/api/v1/probe/stream?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.cfg.Token.Reveal())
	req.Header.Set("Accept", "text/event-stream")
	// The stream outlives the client's request timeout; the idle timer
	// below finds a dead connection instead.
	client := &http.Client{Transport: r.cfg.HTTP.Transport}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return &statusError{resp.StatusCode, string(data)}
	}
	idle := time.AfterFunc(streamIdle, cancel)
	defer idle.Stop()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), maxStreamLine)
	for sc.Scan() {
		idle.Reset(streamIdle)
		data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data:"))
		if !ok {
			continue // comments (keepalives), event names, blank lines
		}
		var ev StreamEvent
		if err := json.Unmarshal(bytes.TrimSpace(data), &ev); err != nil {
			return fmt.Errorf("change stream: bad event: %w", err)
		}
		fn(ev.Change())
	}
	switch {
	case ctx.Err() != nil:
		return nil
	case sctx.Err() != nil:
		return fmt.Errorf("change stream: silent for %s", streamIdle)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("change stream: %w", err)
	}
	return errors.New("change stream: the control plane closed it")
}
