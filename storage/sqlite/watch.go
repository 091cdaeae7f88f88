package sqlite

import (
	"context"
	"errors"
	"sync"

	"github.com/linkwatch/linkwatch"
)

// watchBuffer is how many changes a slow watcher may fall behind before it
// is told to reload everything instead.
const watchBuffer = 1024

// hub fans link changes (or probe signals) out to the WatchLinks (or
// WatchSignals) calls of this process. Writers never wait for watchers.
type hub[T any] struct {
	mu     sync.Mutex
	subs   map[*subscriber[T]]struct{}
	closed chan struct{}
	once   sync.Once
}

type subscriber[T any] struct {
	changes chan T
	// overflow holds a token when a change did not fit in changes.
	overflow chan struct{}
}

func (h *hub[T]) init() {
	h.subs = make(map[*subscriber[T]]struct{})
	h.closed = make(chan struct{})
}

func (h *hub[T]) close() { h.once.Do(func() { close(h.closed) }) }

// publish tells every watcher about c, after the change was committed.
func (h *hub[T]) publish(c T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		select {
		case sub.changes <- c:
		default:
			select {
			case sub.overflow <- struct{}{}:
			default: // a reset is already pending
			}
		}
	}
}

func (h *hub[T]) subscribe() *subscriber[T] {
	sub := &subscriber[T]{changes: make(chan T, watchBuffer), overflow: make(chan struct{}, 1)}
	h.mu.Lock()
	h.subs[sub] = struct{}{}
	h.mu.Unlock()
	return sub
}

func (h *hub[T]) unsubscribe(sub *subscriber[T]) {
	h.mu.Lock()
	delete(h.subs, sub)
	h.mu.Unlock()
}

// WatchLinks calls fn with a Reset, then with every link this process
// creates, updates or deletes, after the change is committed. If fn falls so
// far behind that changes would be dropped, it gets a Reset instead. It
// returns the context's error when ctx ends, or an error when the store is
// closed. fn is called from one goroutine at a time.
func (s *Store) WatchLinks(ctx context.Context, fn func(linkwatch.LinkChange)) error {
	return s.hub.watch(ctx, linkwatch.LinkChange{Reset: true}, fn)
}

// watch calls fn with reset, then with everything published, or reset
// again instead when fn fell too far behind, until ctx ends (its error) or
// the store closes.
func (h *hub[T]) watch(ctx context.Context, reset T, fn func(T)) error {
	sub := h.subscribe()
	defer h.unsubscribe(sub)
	fn(reset)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.closed:
			return errors.New("sqlite: store closed")
		case <-sub.overflow:
			// Changes queued before the reset are covered by it.
			for len(sub.changes) > 0 {
				<-sub.changes
			}
			fn(reset)
		case c := <-sub.changes:
			fn(c)
		}
	}
}
