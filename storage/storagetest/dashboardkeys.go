package storagetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
)

// testDashboardKeys: the first key offered under a name is kept and every
// later caller, on any replica and after a restart, gets that one; names
// are separate.
func testDashboardKeys(t *testing.T, s Store, reopen func() Store) {
	ctx := context.Background()
	first, err := s.DashboardKey(ctx, "share-v1", []byte("key one"))
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != "key one" {
		t.Fatalf("first key = %q, want the one offered", first)
	}
	other := reopen()
	for _, st := range []Store{s, other} {
		got, err := st.DashboardKey(ctx, "share-v1", []byte("key two"))
		if err != nil || !bytes.Equal(got, first) {
			t.Errorf("later key = %q, %v; want the first %q", got, err, first)
		}
	}
	if got, err := other.DashboardKey(ctx, "other", []byte("key three")); err != nil || string(got) != "key three" {
		t.Errorf("another name's key = %q, %v", got, err)
	}

	// Replicas racing to create a key agree on one.
	var wg sync.WaitGroup
	keys := make([][]byte, 8)
	for i := range keys {
		st := s
		if i%2 == 1 {
			st = other
		}
		wg.Go(func() {
			k, err := st.DashboardKey(ctx, "race", []byte{byte(i)})
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i, k := range keys {
		if !bytes.Equal(k, keys[0]) {
			t.Errorf("racer %d got key %v, racer 0 %v", i, k, keys[0])
		}
	}
}
