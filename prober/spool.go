package prober

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Spool keeps result batches on disk while the control plane cannot take
// them: one file per batch, named by sequence so replay keeps their order,
// written to a temporary name and renamed so a crash never leaves half a
// batch. It is bounded; a batch that would exceed the bound is refused.
// A batch that cannot be read back (truncated, corrupt, unreadable) is
// quarantined: renamed to *.bad, logged once and counted, so it never
// blocks the batches behind it.
type Spool struct {
	dir      string
	maxBytes int64
	log      *slog.Logger

	mu          sync.Mutex
	segments    []spoolSegment // oldest first
	bytes       int64
	next        uint64
	quarantined uint64
}

type spoolSegment struct {
	seq  uint64
	size int64
}

// ErrSpoolFull is returned by Append when the bound would be exceeded.
var ErrSpoolFull = errors.New("spool is full")

// OpenSpool opens (creating if needed) the spool in dir.
func OpenSpool(dir string, maxBytes int64) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, maxBytes: maxBytes, log: slog.New(slog.DiscardHandler)}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(dir, name)) // an interrupted write
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, ".json"), 10, 64)
		if err != nil || !strings.HasSuffix(name, ".json") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		s.segments = append(s.segments, spoolSegment{seq, info.Size()})
		s.bytes += info.Size()
		s.next = max(s.next, seq+1)
	}
	slices.SortFunc(s.segments, func(a, b spoolSegment) int { return cmp.Compare(a.seq, b.seq) })
	return s, nil
}

func (s *Spool) path(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d.json", seq))
}

// Append stores a batch after every batch already stored.
func (s *Spool) Append(batch ResultBatch) error {
	data, err := json.Marshal(batch)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes+int64(len(data)) > s.maxBytes {
		return ErrSpoolFull
	}
	seq := s.next
	tmp := s.path(seq) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path(seq))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("spool: %w", err)
	}
	s.next++
	s.segments = append(s.segments, spoolSegment{seq, int64(len(data))})
	s.bytes += int64(len(data))
	return nil
}

// Oldest returns the oldest stored batch and its sequence number; ok is
// false when the spool is empty. A batch that cannot be read back is
// quarantined and the next one is returned instead; err is only set when a
// quarantined file cannot even be moved aside (it is still skipped).
func (s *Spool) Oldest() (batch ResultBatch, seq uint64, ok bool, err error) {
	for {
		s.mu.Lock()
		if len(s.segments) == 0 {
			s.mu.Unlock()
			return ResultBatch{}, 0, false, err
		}
		seq = s.segments[0].seq
		s.mu.Unlock()
		batch = ResultBatch{}
		data, rerr := os.ReadFile(s.path(seq))
		if rerr == nil {
			rerr = json.Unmarshal(data, &batch)
		}
		if rerr == nil {
			return batch, seq, true, err
		}
		if qerr := s.quarantine(seq, rerr); qerr != nil {
			err = qerr
		}
	}
}

// quarantine moves an unreadable batch aside as *.bad, out of the replay
// order, and logs it; the file is kept for an operator to look at.
func (s *Spool) quarantine(seq uint64, cause error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.segments, func(g spoolSegment) bool { return g.seq == seq })
	if i < 0 {
		return nil // removed meanwhile
	}
	s.bytes -= s.segments[i].size
	s.segments = slices.Delete(s.segments, i, i+1)
	s.quarantined++
	bad := strings.TrimSuffix(s.path(seq), ".json") + ".bad"
	err := os.Rename(s.path(seq), bad)
	if err != nil && !os.IsNotExist(err) {
		s.log.Error("spool batch is unreadable and cannot be moved aside; skipping it", "batch", seq, "cause", cause, "err", err)
		return fmt.Errorf("spool: quarantine batch %d: %w", seq, err)
	}
	s.log.Error("spool batch is unreadable; quarantined, its results are lost", "batch", seq, "file", bad, "cause", cause)
	return nil
}

// Quarantined returns how many batches were quarantined since the spool was
// opened.
func (s *Spool) Quarantined() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quarantined
}

// Remove deletes a batch once the control plane has it.
func (s *Spool) Remove(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.segments, func(g spoolSegment) bool { return g.seq == seq })
	if i < 0 {
		return nil
	}
	if err := os.Remove(s.path(seq)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("spool: %w", err)
	}
	s.bytes -= s.segments[i].size
	s.segments = slices.Delete(s.segments, i, i+1)
	return nil
}

// Len returns the number of stored batches; Bytes their size.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.segments)
}

// Bytes returns the stored size.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}
