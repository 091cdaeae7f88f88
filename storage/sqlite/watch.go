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

// hub fans link changes out to the WatchLinks calls of this process. Writers
// never wait for watchers.
type hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed chan struct{}
	once   sync.Once
}

type subscriber struct {
	changes chan linkwatch.LinkChange
	// overflow holds a token when a change did not fit in changes.
	overflow chan struct{}
}

func (h *hub) init() {
	h.subs = make(map[*subscriber]struct{})
	h.closed = make(chan struct{})
}

func (h *hub) close() { h.once.Do(func() { close(h.closed) }) }

// publish tells every watcher about c, after the change was committed.
func (h *hub) publish(c linkwatch.LinkChange) {
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

func (h *hub) subscribe() *subscriber {
	sub := &subscriber{changes: make(chan linkwatch.LinkChange, watchBuffer), overflow: make(chan struct{}, 1)}
	h.mu.Lock()
	h.subs[sub] = struct{}{}
	h.mu.Unlock()
	return sub
}

func (h *hub) unsubscribe(sub *subscriber) {
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
	sub := s.hub.subscribe()
	defer s.hub.unsubscribe(sub)
	fn(linkwatch.LinkChange{Reset: true})
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.hub.closed:
			return errors.New("sqlite: store closed")
		case <-sub.overflow:
			// Changes queued before the reset are covered by it.
			for len(sub.changes) > 0 {
				<-sub.changes
			}
			fn(linkwatch.LinkChange{Reset: true})
		case c := <-sub.changes:
			fn(c)
		}
	}
}
