package storagetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func newSession(id, tokenID string, expires time.Time) *linkwatch.Session {
	return &linkwatch.Session{IDHash: linkwatch.HashSecret(id), TokenID: tokenID, TokenHash: linkwatch.HashSecret("token " + tokenID),
		CreatedAt: created(), ExpiresAt: expires}
}

// testSessionRoundTrip: a session reads back as stored (times in UTC to the
// millisecond), by its hash only.
func testSessionRoundTrip(t *testing.T, s Store) {
	a := newSession("a", "abcd2345", created().Add(12*time.Hour))
	b := newSession("b", "bootstrap", created().Add(time.Hour))
	for _, sess := range []*linkwatch.Session{a, b} {
		if err := s.CreateSession(t.Context(), sess); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}
	for _, sess := range []*linkwatch.Session{a, b} {
		got, err := s.SessionByHash(t.Context(), sess.IDHash)
		if err != nil {
			t.Fatalf("SessionByHash: %v", err)
		}
		want := *sess
		want.CreatedAt, want.ExpiresAt = ms(want.CreatedAt), ms(want.ExpiresAt)
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("SessionByHash:\n got %#v\nwant %#v", got, &want)
		}
	}
}

func testSessionErrors(t *testing.T, s Store) {
	sess := newSession("a", "abcd2345", created().Add(time.Hour))
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "CreateSession with a taken hash", s.CreateSession(t.Context(), newSession("a", "efgh6789", created())), linkwatch.ECONFLICT)
	_, err := s.SessionByHash(t.Context(), linkwatch.HashSecret("missing"))
	wantCode(t, "SessionByHash of a missing session", err, linkwatch.ENOTFOUND)
	if err := s.DeleteSession(t.Context(), linkwatch.HashSecret("missing")); err != nil {
		t.Errorf("DeleteSession of a missing session: %v, want no error", err)
	}
	if err := s.DeleteSession(t.Context(), sess.IDHash); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	_, err = s.SessionByHash(t.Context(), sess.IDHash)
	wantCode(t, "SessionByHash after DeleteSession", err, linkwatch.ENOTFOUND)
}

// testSessionPrune: PruneSessions deletes the sessions expired at or before
// its time, and no other.
func testSessionPrune(t *testing.T, s Store) {
	at := created()
	for id, expires := range map[string]time.Time{"past": at.Add(-time.Hour), "now": at, "future": at.Add(time.Millisecond)} {
		if err := s.CreateSession(t.Context(), newSession(id, "abcd2345", expires)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneSessions(t.Context(), at)
	if err != nil {
		t.Fatalf("PruneSessions: %v", err)
	}
	if n != 2 {
		t.Errorf("PruneSessions deleted %d sessions, want 2", n)
	}
	for id, want := range map[string]string{"past": linkwatch.ENOTFOUND, "now": linkwatch.ENOTFOUND, "future": ""} {
		_, err := s.SessionByHash(t.Context(), linkwatch.HashSecret(id))
		wantCode(t, "SessionByHash("+id+") after PruneSessions", err, want)
	}
}
