package postgres

import (
	"context"

	"github.com/linkwatch/linkwatch"
)

// signalExpr is the NOTIFY channel of probe signals, per schema like
// channelExpr's.
const signalExpr = "left('linkwatch_signals_' || current_schema(), 63)"

// Signal sends sig to every replica's WatchSignals, this one's included.
func (s *Store) Signal(ctx context.Context, sig linkwatch.ProbeSignal) error {
	b, err := sig.Encode()
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, "SELECT pg_notify("+signalExpr+", $1)", string(b))
	return mapErr(err, "")
}

// WatchSignals listens on a dedicated connection for the signals any replica
// sends. Once it listens it calls fn with a SignalReset (signals sent before
// were missed), then with each signal, or with an error for a notification
// that is not a valid signal (too large, unknown, from a newer version): the
// caller logs it, nothing else is done with it. It returns as WatchLinks
// does; fn is called from one goroutine at a time.
func (s *Store) WatchSignals(ctx context.Context, fn func(linkwatch.ProbeSignal, error)) error {
	return s.listen(ctx, signalExpr, func() { fn(linkwatch.ProbeSignal{Kind: linkwatch.SignalReset}, nil) }, func(payload string) {
		fn(linkwatch.ParseProbeSignal([]byte(payload)))
	})
}
