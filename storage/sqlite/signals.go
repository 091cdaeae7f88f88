package sqlite

import (
	"context"

	"github.com/linkwatch/linkwatch"
)

// Signal sends sig to this process's WatchSignals calls: with SQLite, one
// process is the only replica.
func (s *Store) Signal(ctx context.Context, sig linkwatch.ProbeSignal) error {
	if err := sig.Validate(); err != nil {
		return err
	}
	s.signals.publish(sig)
	return nil
}

// WatchSignals calls fn with a SignalReset, then with every signal this
// process sends, or a SignalReset instead if fn falls so far behind that
// signals would be dropped. It returns as WatchLinks does; fn is called from
// one goroutine at a time and never with an error (signals do not leave the
// process, so none is malformed).
func (s *Store) WatchSignals(ctx context.Context, fn func(linkwatch.ProbeSignal, error)) error {
	return s.signals.watch(ctx, linkwatch.ProbeSignal{Kind: linkwatch.SignalReset}, func(sig linkwatch.ProbeSignal) { fn(sig, nil) })
}
