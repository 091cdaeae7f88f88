package storagetest

import (
	"slices"
	"testing"

	"github.com/linkwatch/linkwatch/alerting"
)

// testEnqueue: notifications enqueued without a state change (no fence)
// are due like any other, in order.
func testEnqueue(t *testing.T, s Store) {
	a, b := outgoing("subscriber:1", "x", 1), outgoing("subscriber:2", "x", 2)
	a.NotBefore, b.NotBefore = noon(), noon()
	if err := s.Enqueue(t.Context(), nil); err != nil {
		t.Fatalf("Enqueue(nil): %v", err)
	}
	if err := s.Enqueue(t.Context(), []alerting.Outgoing{a, b}); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, s, noon()); !slices.Equal(got, []string{a.Notification.ID, b.Notification.ID}) {
		t.Fatalf("due %v", got)
	}
}
