package statuspage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Components declared in the configuration file have no times of their own,
// yet Statuspage clients expect created_at and updated_at on every
// component (a null fails some of them). The builder records, in the store,
// when each was first seen and when its declaration or status last
// changed, so restarts keep them; several replicas may do it at once.

// ComponentTimes is when a component was first seen (CreatedAt) and last
// changed (UpdatedAt); Hash is what it looked like then.
type ComponentTimes struct {
	ID        string
	Hash      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ComponentTimesStore keeps ComponentTimes.
type ComponentTimesStore interface {
	// StampComponents records each given component (ID and Hash) as seen
	// at at: an ID not stored yet gets CreatedAt and UpdatedAt at; a stored
	// one whose Hash differs gets the new Hash and UpdatedAt at, unless it
	// holds an UpdatedAt at or after at already (a replica whose clock or
	// view is behind never moves it back); the same Hash changes nothing.
	// It returns every given ID's stored times. Replicas calling it at once
	// for the same component store one row: the first CreatedAt wins. An
	// empty ID is EINVALID.
	StampComponents(ctx context.Context, seen []ComponentTimes, at time.Time) (map[string]ComponentTimes, error)
}

// componentHash is what a component looks like: its declaration and its
// status now. Any change of either moves its updated_at.
func componentHash(c Component, status string) string {
	c.Source, c.CreatedAt, c.UpdatedAt = "", time.Time{}, time.Time{}
	b, _ := json.Marshal(struct {
		C      Component
		Status string
	}{c, status})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// stampConfigComponents sets the configuration's components' CreatedAt and
// UpdatedAt from the store, writing only when one of them looks different
// from what this builder last stored. A store error keeps the times last
// read (the page is still published) and is returned for the log.
func (b *Builder) stampConfigComponents(ctx context.Context, views []ComponentView, now time.Time) error {
	var seen []ComponentTimes
	changed := false
	b.mu.Lock()
	for _, v := range views {
		if v.Source != "config" {
			continue
		}
		h := componentHash(v.Component, v.Status)
		seen = append(seen, ComponentTimes{ID: v.ID, Hash: h})
		if b.stamps[v.ID].Hash != h {
			changed = true
		}
	}
	b.mu.Unlock()
	var err error
	if changed {
		var got map[string]ComponentTimes
		if got, err = b.store.StampComponents(ctx, seen, now); err == nil {
			b.mu.Lock()
			for id, t := range got {
				b.stamps[id] = t
			}
			b.mu.Unlock()
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range views {
		if t, ok := b.stamps[views[i].ID]; ok && views[i].Source == "config" {
			views[i].CreatedAt, views[i].UpdatedAt = t.CreatedAt, t.UpdatedAt
		}
	}
	return err
}
