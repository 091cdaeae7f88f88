package alerting

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DeliveryConfig tunes the delivery workers.
type DeliveryConfig struct {
	Interval    time.Duration // how often the outbox is polled (default 1s)
	Batch       int           // pending notifications read per poll (default 1000)
	MaxAttempts int           // retryable failures before giving up (default 20)
	BaseBackoff time.Duration // first retry delay, doubled per attempt (default 2s)
	MaxBackoff  time.Duration // cap (default 5m)
	Now         func() time.Time
	// Holder, when set, is this replica's name for the delivery lease: with
	// several replicas, only the holder delivers, so two never send the
	// same notification. LeaseTTL (default 1m) must outlast SendTimeout:
	// a slow receiver must not let another replica take over and send
	// what is still in flight.
	Holder   string
	LeaseTTL time.Duration
	// SendTimeout bounds one send and its bookkeeping (default 30s). A
	// send in flight when the deliverer stops finishes, and is recorded,
	// within it: stopping never leaves a delivered notification pending.
	SendTimeout time.Duration
}

// DeliveryLease is the lease whose holder delivers the outbox.
const DeliveryLease = "alert-delivery"

// Deliverer sends what the outbox holds. A notification is marked sent only
// after its receiver accepted it, so a restart, an outage or a crash loses
// nothing; 5xx and network errors back off per notification; a 429 delays
// every pending notification of that receiver by its Retry-After.
type Deliverer struct {
	cfg       DeliveryConfig
	store     Store
	notifiers map[string]Notifier
	log       *slog.Logger

	sent, retried, failed *prometheus.CounterVec
}

// NewDeliverer returns a deliverer for the named receivers. A notifier
// named "family" also takes receivers "family:<anything>".
func NewDeliverer(cfg DeliveryConfig, store Store, notifiers map[string]Notifier, log *slog.Logger, reg prometheus.Registerer) *Deliverer {
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	if cfg.Batch == 0 {
		cfg.Batch = 1000
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 20
	}
	if cfg.BaseBackoff == 0 {
		cfg.BaseBackoff = 2 * time.Second
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = max(time.Minute, 2*cfg.SendTimeout)
	}
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"receiver"})
	}
	d := &Deliverer{cfg: cfg, store: store, notifiers: notifiers, log: log,
		sent:    counter("linkwatch_notifications_sent_total", "Notifications a receiver accepted."),
		retried: counter("linkwatch_notifications_retried_total", "Failed deliveries that will be retried."),
		failed:  counter("linkwatch_notifications_failed_total", "Notifications given up after a permanent error or too many attempts."),
	}
	// Every receiver's series exist from the start, so a receiver's first
	// failure is an increase a Prometheus rule can see, not a new series.
	for name := range notifiers {
		d.sent.WithLabelValues(name)
		d.retried.WithLabelValues(name)
		d.failed.WithLabelValues(name)
	}
	reg.MustRegister(d.sent, d.retried, d.failed)
	return d
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) error {
	tick := time.NewTicker(d.cfg.Interval)
	defer tick.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("notification delivery pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// RunOnce makes one pass over the due notifications and returns how many
// were delivered.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	now := d.cfg.Now()
	if ok, err := d.lease(ctx, now); err != nil || !ok {
		return 0, err
	}
	renewed := now
	// Every pending notification, not only the due ones: one waiting for a
	// retry must hold back later ones about the same alert to the same
	// receiver, or a resolution could overtake its firing.
	pending, err := d.store.Due(ctx, now.Add(100*365*24*time.Hour), d.cfg.Batch)
	if err != nil {
		return 0, err
	}
	delivered := 0
	held := map[string]bool{} // receivers a 429 paused, and (receiver, key) pairs an earlier notification holds back
	for _, o := range pending {
		key := o.Receiver + "\x00" + o.Notification.DedupeKey
		if o.NotBefore.After(now) {
			held[key] = true
			continue
		}
		if held[o.Receiver] || held[key] {
			continue // keep a receiver's messages about one alert in order
		}
		if ctx.Err() != nil {
			return delivered, nil // stopping: what is left stays pending
		}
		if t := d.cfg.Now(); t.Sub(renewed) > d.cfg.LeaseTTL/3 { // a long pass: still the holder?
			if ok, err := d.lease(ctx, t); err != nil || !ok {
				return delivered, err
			}
			renewed = t
		}
		// The send and its record share a context that stopping does not
		// cancel: a message the receiver took is always marked sent.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.SendTimeout)
		ok, err := d.deliver(sctx, o, now, held)
		cancel()
		if err != nil {
			return delivered, err
		}
		if ok {
			delivered++
		} else {
			held[key] = true
		}
	}
	return delivered, nil
}

// lease takes or renews the delivery lease; without a Holder there is no
// lease (one replica, or tests).
func (d *Deliverer) lease(ctx context.Context, now time.Time) (bool, error) {
	if d.cfg.Holder == "" {
		return true, nil
	}
	_, ok, err := d.store.Lease(ctx, DeliveryLease, d.cfg.Holder, d.cfg.LeaseTTL, now)
	return ok, err
}

// deliver sends one notification and records the outcome. It returns false
// when the notification is still pending.
func (d *Deliverer) deliver(ctx context.Context, o Outgoing, now time.Time, held map[string]bool) (bool, error) {
	n, ok := d.notifiers[o.Receiver]
	if i := strings.IndexByte(o.Receiver, ':'); !ok && i > 0 {
		n, ok = d.notifiers[o.Receiver[:i]] // a family: "subscriber:<id>"
	}
	if !ok {
		d.failed.WithLabelValues(o.Receiver).Inc()
		return true, d.store.Abandon(ctx, o.ID, "no such receiver configured")
	}
	ref := ""
	if o.Notification.Kind != KindFiring {
		var err error
		if ref, err = d.store.Ref(ctx, o.Notification.DedupeKey, o.Receiver); err != nil {
			return false, err
		}
	}
	res, sendErr := n.Notify(ctx, o.Notification, ref)
	switch {
	case sendErr == nil:
		d.sent.WithLabelValues(o.Receiver).Inc()
		return true, d.store.Sent(ctx, o.ID, res.Ref, d.cfg.Now())
	case res.RetryAfter > 0:
		d.retried.WithLabelValues(o.Receiver).Inc()
		until := now.Add(res.RetryAfter)
		held[o.Receiver] = true
		d.log.Warn("receiver asked to slow down; holding its notifications", "receiver", o.Receiver, "until", until)
		if err := d.store.DelayReceiver(ctx, o.Receiver, until); err != nil {
			return false, err
		}
		return false, d.store.Retry(ctx, o.ID, until, sendErr.Error())
	case res.Retry && o.Attempts+1 < d.cfg.MaxAttempts:
		d.retried.WithLabelValues(o.Receiver).Inc()
		d.log.Warn("notification delivery failed; will retry", "receiver", o.Receiver, "attempt", o.Attempts+1, "err", sendErr)
		return false, d.store.Retry(ctx, o.ID, now.Add(d.backoff(o.Attempts)), sendErr.Error())
	}
	d.failed.WithLabelValues(o.Receiver).Inc()
	d.log.Error("notification given up", "receiver", o.Receiver, "attempts", o.Attempts+1, "err", sendErr)
	return true, d.store.Abandon(ctx, o.ID, sendErr.Error())
}

func (d *Deliverer) backoff(attempts int) time.Duration {
	b := d.cfg.BaseBackoff
	for range attempts {
		b *= 2
		if b >= d.cfg.MaxBackoff {
			return d.cfg.MaxBackoff
		}
	}
	return b
}
