package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
)

// A signal sent through one replica's store reaches the others'; a
// notification on the channel that is not a signal is passed on as an error
// and nothing else, and the watch goes on.
func TestSignalsAcrossReplicas(t *testing.T) {
	a, dsn := open(t)
	b := openDSN(t, dsn)
	type heard struct {
		sig linkwatch.ProbeSignal
		err error
	}
	c := make(chan heard, 10)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.WatchSignals(ctx, func(s linkwatch.ProbeSignal, err error) { c <- heard{s, err} }) }()
	t.Cleanup(func() { cancel(); <-done })
	next := func() heard {
		t.Helper()
		select {
		case h := <-c:
			return h
		case <-time.After(10 * time.Second):
			t.Fatal("no signal within 10s")
		}
		return heard{}
	}
	if h := next(); h.err != nil || h.sig.Kind != linkwatch.SignalReset {
		t.Fatalf("first heard %+v, want a reset", h)
	}

	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, payload := range []string{
		`{"kind":"later","id":1}`,
		`{"kind":"monitor","id":1,"extra":true}`,
		`{"kind":"monitor","id":1}` + strings.Repeat(" ", linkwatch.MaxProbeSignal),
		`not json`,
	} {
		if _, err := conn.Exec(t.Context(), "SELECT pg_notify(left('linkwatch_signals_' || current_schema(), 63), $1)", payload); err != nil {
			t.Fatal(err)
		}
		if h := next(); h.err == nil || linkwatch.ErrorCode(h.err) != linkwatch.EINVALID {
			t.Errorf("payload %.40q heard as %+v, want an invalid-signal error", payload, h)
		}
	}
	want := linkwatch.CheckSignal(linkwatch.Target{Kind: linkwatch.KindLink, ID: 3}, "us-east")
	if err := a.Signal(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	if h := next(); h.err != nil || h.sig != want {
		t.Fatalf("heard %+v, want %+v", h, want)
	}
}
