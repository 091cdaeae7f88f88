package storagetest

import (
	"reflect"
	"testing"

	"github.com/linkwatch/linkwatch"
)

// testExistingTargets: links and monitors are told apart by kind, unknown
// and deleted ids are absent, and a batch of a thousand is one answer.
func testExistingTargets(t *testing.T, s Store) {
	l := create(t, s, newLink("", "exists"))
	gone := create(t, s, newLink("", "gone"))
	m := createMonitor(t, s, newMonitor("exists"))
	if err := s.DeleteLink(t.Context(), "", "gone"); err != nil {
		t.Fatal(err)
	}
	link := func(id int64) linkwatch.Target { return linkwatch.Target{Kind: linkwatch.KindLink, ID: id} }
	monitor := func(id int64) linkwatch.Target { return linkwatch.Target{Kind: linkwatch.KindMonitor, ID: id} }

	got, err := s.ExistingTargets(t.Context(), nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("ExistingTargets(nil) = %v, %v", got, err)
	}
	ask := []linkwatch.Target{link(l.ID), link(l.ID), monitor(m.ID), link(gone.ID), link(m.ID + l.ID + 1000), monitor(m.ID + 1000)}
	for i := range 1000 {
		ask = append(ask, link(int64(100000+i)))
	}
	got, err = s.ExistingTargets(t.Context(), ask)
	if err != nil {
		t.Fatal(err)
	}
	want := map[linkwatch.Target]bool{link(l.ID): true, monitor(m.ID): true}
	for k, v := range got {
		if !v {
			delete(got, k)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ExistingTargets = %v, want %v", got, want)
	}
	// The kind decides: a link's id asked as a monitor is absent unless a
	// monitor has that id too.
	got, err = s.ExistingTargets(t.Context(), []linkwatch.Target{monitor(gone.ID)})
	if err != nil || got[monitor(gone.ID)] != (gone.ID == m.ID) {
		t.Errorf("ExistingTargets(monitor %d) = %v, %v", gone.ID, got, err)
	}
}
