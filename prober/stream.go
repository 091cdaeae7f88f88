package prober

import (
	"context"

	"github.com/linkwatch/linkwatch"
)

// StreamEvent is one event of GET /api/v1/probe/stream, the server-sent
// events stream that pushes a prober's share of the checks: a data line of
// JSON per event. The first event of every connection is Full (the whole
// share, as GET /api/v1/probe/assignments answers); after it, only changes.
// A prober that reconnects, to the same control replica or another, gets a
// Full again, so no change is lost across a gap.
type StreamEvent struct {
	// Full replaces the whole share: sent first, after the region's live
	// probers change (the share moves) and when changes may have been missed.
	Full *Assignments `json:"full,omitempty"`
	// Links and Monitors were created or changed and are this prober's:
	// check them now. Removed ones were deleted, retired or are no longer
	// this prober's.
	Links           []WireLink    `json:"links,omitempty"`
	RemovedLinks    []int64       `json:"removed_links,omitempty"`
	Monitors        []WireMonitor `json:"monitors,omitempty"`
	RemovedMonitors []int64       `json:"removed_monitors,omitempty"`
	// Check asks for these checks to run now ("check now" or a second
	// opinion); only the prober that owns a check is asked.
	Check []WireTarget `json:"check,omitempty"`
}

// WireTarget names a link or monitor on the wire.
type WireTarget struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
}

// Change is a change of a prober's share, pushed to its Runner by a Watcher.
type Change struct {
	// Full means Links and Monitors are the whole share; the rest is empty.
	Full            bool
	Links           []LinkAssignment
	RemovedLinks    []int64
	Monitors        []*linkwatch.Monitor
	RemovedMonitors []int64
	Check           []linkwatch.Target
}

// Watcher is a Source that also pushes changes. Watch calls fn with a Full
// change first, then with every change, until ctx ends or the connection
// to the changes is lost (an error: the Runner watches again). fn is called
// from one goroutine at a time.
type Watcher interface {
	Watch(ctx context.Context, fn func(Change)) error
}

// Change converts a stream event for the runner.
func (e StreamEvent) Change() Change {
	var c Change
	if e.Full != nil {
		c.Full = true
		e.Links, e.Monitors = e.Full.Links, e.Full.Monitors
	}
	for _, l := range e.Links {
		c.Links = append(c.Links, l.Assignment())
	}
	for _, m := range e.Monitors {
		c.Monitors = append(c.Monitors, m.Monitor())
	}
	if !c.Full {
		c.RemovedLinks, c.RemovedMonitors = e.RemovedLinks, e.RemovedMonitors
		for _, t := range e.Check {
			c.Check = append(c.Check, linkwatch.Target{Kind: t.Kind, ID: t.ID})
		}
	}
	return c
}

// ChangeToStream converts a change for the wire (the control plane's side).
func ChangeToStream(c Change) StreamEvent {
	var e StreamEvent
	links := make([]WireLink, 0, len(c.Links))
	for _, a := range c.Links {
		links = append(links, LinkToWire(a))
	}
	monitors := make([]WireMonitor, 0, len(c.Monitors))
	for _, m := range c.Monitors {
		monitors = append(monitors, MonitorToWire(m))
	}
	if c.Full {
		e.Full = &Assignments{Links: links, Monitors: monitors}
		return e
	}
	if len(links) > 0 {
		e.Links = links
	}
	if len(monitors) > 0 {
		e.Monitors = monitors
	}
	e.RemovedLinks, e.RemovedMonitors = c.RemovedLinks, c.RemovedMonitors
	for _, t := range c.Check {
		e.Check = append(e.Check, WireTarget{Kind: t.Kind, ID: t.ID})
	}
	return e
}
