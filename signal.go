package linkwatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// ProbeSignal is a message from one control-plane replica to the probers
// streaming from every replica, sent through the store (a NOTIFY on
// PostgreSQL, in-process on SQLite): a monitor changed or was deleted, or a
// target is to be checked now in every region, or in every region but
// Except (a second opinion). Link changes need no signal: every replica
// hears them through WatchLinks.
type ProbeSignal struct {
	Kind   string `json:"kind"`             // SignalMonitor, SignalMonitorDeleted or SignalCheck
	Target string `json:"target,omitempty"` // SignalCheck: KindLink or KindMonitor
	ID     int64  `json:"id"`               // the monitor, or the target to check
	Except string `json:"except,omitempty"` // SignalCheck: the region that need not check
}

// Signal kinds. SignalReset is never sent: a store's WatchSignals delivers
// it once it listens (again), as signals may have been missed before.
const (
	SignalMonitor        = "monitor"
	SignalMonitorDeleted = "monitor_deleted"
	SignalCheck          = "check"
	SignalReset          = "reset"
)

// MaxProbeSignal bounds a signal's encoded size; anything larger is not one.
const MaxProbeSignal = 256

// MonitorSignal says monitor id was created or changed.
func MonitorSignal(id int64) ProbeSignal { return ProbeSignal{Kind: SignalMonitor, ID: id} }

// MonitorDeletedSignal says monitor id was deleted.
func MonitorDeletedSignal(id int64) ProbeSignal {
	return ProbeSignal{Kind: SignalMonitorDeleted, ID: id}
}

// CheckSignal asks every live region but except ("" for none) to check t now.
func CheckSignal(t Target, except string) ProbeSignal {
	return ProbeSignal{Kind: SignalCheck, Target: t.Kind, ID: t.ID, Except: except}
}

// CheckTarget is what a SignalCheck asks to check.
func (s ProbeSignal) CheckTarget() Target { return Target{Kind: s.Target, ID: s.ID} }

// Validate checks a signal to be sent or just received.
func (s ProbeSignal) Validate() error {
	if s.ID <= 0 {
		return FieldErrorf("id", "a signal names a positive id, not %d", s.ID)
	}
	switch s.Kind {
	case SignalMonitor, SignalMonitorDeleted:
		if s.Target != "" || s.Except != "" {
			return FieldErrorf("kind", "a %s signal has only an id", s.Kind)
		}
	case SignalCheck:
		if s.Target != KindLink && s.Target != KindMonitor {
			return FieldErrorf("target", "a check signal's target is %q or %q", KindLink, KindMonitor)
		}
		if s.Except != "" {
			if err := ValidateRegion("except", s.Except); err != nil {
				return err
			}
		}
	default:
		return FieldErrorf("kind", "unknown signal kind %.32q", s.Kind)
	}
	return nil
}

// Encode is the signal as sent: JSON of at most MaxProbeSignal bytes.
func (s ProbeSignal) Encode() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(s) // a valid signal is well under the bound
}

// ParseProbeSignal reads a signal as received: one JSON object of at most
// MaxProbeSignal bytes, no unknown fields, valid.
func ParseProbeSignal(b []byte) (ProbeSignal, error) {
	var s ProbeSignal
	if len(b) > MaxProbeSignal {
		return s, Errorf(EINVALID, "signal of %d bytes: at most %d", len(b), MaxProbeSignal)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return ProbeSignal{}, Errorf(EINVALID, "signal is not a signal object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ProbeSignal{}, Errorf(EINVALID, "signal has data after its object")
	}
	if err := s.Validate(); err != nil {
		return ProbeSignal{}, err
	}
	return s, nil
}

func (s ProbeSignal) String() string {
	if s.Kind == SignalCheck {
		return fmt.Sprintf("check %s/%d except %q", s.Target, s.ID, s.Except)
	}
	return fmt.Sprintf("%s %d", s.Kind, s.ID)
}
