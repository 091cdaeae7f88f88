package linkwatch

import (
	"strings"
	"testing"
)

func TestProbeSignalRoundTrip(t *testing.T) {
	for _, s := range []ProbeSignal{
		MonitorSignal(1),
		MonitorDeletedSignal(1 << 62),
		CheckSignal(Target{Kind: KindLink, ID: 5}, ""),
		CheckSignal(Target{Kind: KindMonitor, ID: 5}, strings.Repeat("r", MaxRegionLen)),
	} {
		b, err := s.Encode()
		if err != nil {
			t.Fatalf("Encode(%v): %v", s, err)
		}
		if len(b) > MaxProbeSignal {
			t.Errorf("%v encodes to %d bytes, over MaxProbeSignal", s, len(b))
		}
		got, err := ParseProbeSignal(b)
		if err != nil || got != s {
			t.Errorf("ParseProbeSignal(%s) = %+v, %v; want %+v", b, got, err, s)
		}
	}
}

func TestParseProbeSignalRejects(t *testing.T) {
	for _, in := range []string{
		``, `null`, `[]`, `{}`, `{"kind":"monitor"}`, `{"kind":"monitor","id":-1}`,
		`{"kind":"reset","id":1}`, `{"kind":"monitor","id":1,"target":"link"}`,
		`{"kind":"monitor_deleted","id":1,"except":"x"}`, `{"kind":"check","id":1}`,
		`{"kind":"check","id":1,"target":"fallback"}`, `{"kind":"check","id":1,"target":"link","except":"a b"}`,
		`{"kind":"monitor","id":1,"new":1}`, `{"kind":"monitor","id":1} {}`, `{"kind":"monitor","id":1.5}`,
		`{"kind":"monitor","id":1}` + strings.Repeat(" ", MaxProbeSignal),
	} {
		if s, err := ParseProbeSignal([]byte(in)); ErrorCode(err) != EINVALID {
			t.Errorf("ParseProbeSignal(%.60q) = %+v, %v; want an invalid error", in, s, err)
		}
	}
}

func FuzzParseProbeSignal(f *testing.F) {
	f.Add([]byte(`{"kind":"check","target":"link","id":3,"except":"eu"}`))
	f.Add([]byte(`{"kind":"monitor","id":1}`))
	f.Add([]byte(`{"kind":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseProbeSignal(b)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		if len(b) > MaxProbeSignal {
			t.Fatalf("accepted %d bytes", len(b))
		}
		again, err := s.Encode()
		if err != nil {
			t.Fatalf("accepted %+v does not encode: %v", s, err)
		}
		if s2, err := ParseProbeSignal(again); err != nil || s2 != s {
			t.Fatalf("re-parse of %s = %+v, %v", again, s2, err)
		}
	})
}
