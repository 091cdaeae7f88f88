package storagetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func testCreateRoundTrip(t *testing.T, s Store) {
	l := newLink("go.example.com", "spring-24", "campaign:spring", "print")
	l.FallbackURL = "https://example.com/fallback"
	l.RedirectCode = 308
	l.ExpiresAt = time.Date(2100, 1, 2, 3, 4, 5, 678999999, zone())
	l.CheckInterval = 90 * time.Second
	l.FailedOver = true
	l.Failover = linkwatch.FailoverFallback
	l.FailoverSince = created().Add(30*time.Minute + 123456*time.Nanosecond) // kept to the millisecond
	l.FailoverReason = "pinned by hand"
	l.UpdatedAt = created().Add(time.Hour)
	// Sub-millisecond latency is dropped.
	l.Expect = linkwatch.Expectation{Statuses: []int{200, 301}, Keyword: "Spring sale", MaxLatency: 1500*time.Millisecond + 300*time.Microsecond}
	given := *l
	create(t, s, l)
	if l.ID <= 0 {
		t.Fatalf("CreateLink set ID %d, want > 0", l.ID)
	}
	given.ID = l.ID
	equalLink(t, "CreateLink leaves the link as stored", l, given)
	if l.Expect.MaxLatency != 1500*time.Millisecond {
		t.Errorf("MaxLatency stored as %v, want 1.5s", l.Expect.MaxLatency)
	}
	got, err := s.LinkBySlug(t.Context(), "go.example.com", "spring-24")
	if err != nil {
		t.Fatal(err)
	}
	equalLink(t, "LinkBySlug", got, given)
	if got.CreatedAt.Location() != time.UTC || got.ExpiresAt.Location() != time.UTC {
		t.Errorf("times are in %v and %v, want UTC", got.CreatedAt.Location(), got.ExpiresAt.Location())
	}
}

func testCreateDefaults(t *testing.T, s Store) {
	l := newLink("", "plain")
	l.Tags = nil
	create(t, s, l)
	got, err := s.LinkBySlug(t.Context(), "", "plain")
	if err != nil {
		t.Fatal(err)
	}
	if !got.ExpiresAt.IsZero() {
		t.Errorf("ExpiresAt = %v, want zero (never expires)", got.ExpiresAt)
	}
	if got.Tags == nil || len(got.Tags) != 0 {
		t.Errorf("Tags = %#v, want an empty, non-nil slice", got.Tags)
	}
	if !reflect.DeepEqual(got.Expect, linkwatch.Expectation{}) {
		t.Errorf("Expect = %#v, want the zero expectation (nil statuses)", got.Expect)
	}
	second := create(t, s, newLink("", "second"))
	if second.ID <= l.ID {
		t.Errorf("IDs %d then %d, want increasing", l.ID, second.ID)
	}
}

func testCreateConflict(t *testing.T, s Store) {
	create(t, s, newLink("", "taken"))
	create(t, s, newLink("go.example.com", "taken")) // the same slug on another domain is another link
	err := s.CreateLink(t.Context(), newLink("", "taken"))
	wantCode(t, "duplicate slug", err, linkwatch.ECONFLICT)
	if f := linkwatch.ErrorField(err); f != "slug" {
		t.Errorf("duplicate slug: field %q, want \"slug\"", f)
	}
	err = s.CreateLink(t.Context(), newLink("go.example.com", "taken"))
	wantCode(t, "duplicate slug on a custom domain", err, linkwatch.ECONFLICT)
}

func testLinkBySlugNotFound(t *testing.T, s Store) {
	create(t, s, newLink("go.example.com", "only-there"))
	for _, tt := range []struct{ domain, slug string }{
		{"", "missing"},
		{"", "only-there"}, // exists on another domain only
		{"other.example.com", "only-there"},
	} {
		_, err := s.LinkBySlug(t.Context(), tt.domain, tt.slug)
		wantCode(t, fmt.Sprintf("LinkBySlug(%q, %q)", tt.domain, tt.slug), err, linkwatch.ENOTFOUND)
	}
}

func slugs(ls []*linkwatch.Link) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.Slug)
	}
	return out
}

func testListFilters(t *testing.T, s Store) {
	a := create(t, s, newLink("", "a", "print", "spring"))
	create(t, s, newLink("", "b", "spring"))
	create(t, s, newLink("go.example.com", "c", "print"))
	create(t, s, newLink("go.example.com", "d"))
	create(t, s, newLink("x.example.com", "e", "printer"))
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		f    linkwatch.LinkFilter
		want []string
	}{
		{"everything", linkwatch.LinkFilter{}, []string{"a", "b", "c", "d", "e"}},
		{"tag", linkwatch.LinkFilter{Tag: "print"}, []string{"a", "c"}},
		{"tag is exact", linkwatch.LinkFilter{Tag: "prin"}, []string{}},
		{"default domain", linkwatch.LinkFilter{Domain: str("")}, []string{"a", "b"}},
		{"custom domain", linkwatch.LinkFilter{Domain: str("go.example.com")}, []string{"c", "d"}},
		{"unknown domain", linkwatch.LinkFilter{Domain: str("nope.example.com")}, []string{}},
		{"tag and domain", linkwatch.LinkFilter{Tag: "print", Domain: str("go.example.com")}, []string{"c"}},
		{"limit", linkwatch.LinkFilter{Limit: 2}, []string{"a", "b"}},
		{"after", linkwatch.LinkFilter{AfterID: a.ID}, []string{"b", "c", "d", "e"}},
		{"after and tag", linkwatch.LinkFilter{AfterID: a.ID, Tag: "print"}, []string{"c"}},
	}
	for _, tt := range tests {
		got, err := s.ListLinks(t.Context(), tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if g := slugs(got); !reflect.DeepEqual(g, tt.want) {
			t.Errorf("%s: ListLinks(%+v) = %v, want %v", tt.name, tt.f, g, tt.want)
		}
	}
	got, err := s.ListLinks(t.Context(), linkwatch.LinkFilter{Limit: 1})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListLinks: %v, %v", got, err)
	}
	equalLink(t, "a listed link", got[0], *a)
}

func testListPaging(t *testing.T, s Store) {
	var want []string
	for i := range 25 {
		l := create(t, s, newLink("", fmt.Sprintf("page-%02d", i), "paged"))
		want = append(want, l.Slug)
	}
	var all []string
	var pages []int
	after := int64(0)
	for range 10 { // bounded: a store that ignores AfterID must not loop forever
		page, err := s.ListLinks(t.Context(), linkwatch.LinkFilter{Tag: "paged", AfterID: after, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(page))
		if len(page) == 0 {
			break
		}
		all = append(all, slugs(page)...)
		after = page[len(page)-1].ID
	}
	if !reflect.DeepEqual(pages, []int{10, 10, 5, 0}) {
		t.Errorf("page sizes %v, want [10 10 5 0]", pages)
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("paged through %v, want %v", all, want)
	}
}

func testUpdateAllFields(t *testing.T, s Store) {
	l := create(t, s, newLink("go.example.com", "edit", "old"))
	later := created().Add(36 * time.Hour)
	change := func(l *linkwatch.Link) {
		l.Destination = "https://example.org/new"
		l.FallbackURL = "https://example.org/fallback"
		l.Tags = []string{"new", "tags"}
		l.RedirectCode = 307
		l.ExpiresAt = later.Add(time.Hour)
		l.CheckInterval = 5 * time.Minute
		l.FailedOver = true
		l.Failover = linkwatch.FailoverOff
		l.FailoverSince = later
		l.FailoverReason = "3 of 3 regions failing: http_status 503"
		l.Expect = linkwatch.Expectation{Statuses: []int{204}, Keyword: "ok", MaxLatency: 2 * time.Second}
		l.UpdatedAt = later
	}
	want := *l
	change(&want)
	got, err := s.UpdateLink(t.Context(), "go.example.com", "edit", func(l *linkwatch.Link) error {
		change(l)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	equalLink(t, "UpdateLink result", got, want)
	got, err = s.LinkBySlug(t.Context(), "go.example.com", "edit")
	if err != nil {
		t.Fatal(err)
	}
	equalLink(t, "after UpdateLink", got, want)

	// Clearing fields clears them in the store.
	got, err = s.UpdateLink(t.Context(), "go.example.com", "edit", func(l *linkwatch.Link) error {
		l.ExpiresAt, l.FallbackURL, l.Tags, l.FailedOver = time.Time{}, "", nil, false
		l.FailoverSince, l.FailoverReason = time.Time{}, ""
		l.Expect = linkwatch.Expectation{Statuses: []int{}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want.ExpiresAt, want.FallbackURL, want.Tags, want.FailedOver = time.Time{}, "", []string{}, false
	want.FailoverSince, want.FailoverReason = time.Time{}, ""
	want.Expect = linkwatch.Expectation{}
	equalLink(t, "cleared by UpdateLink", got, want)
	got, _ = s.LinkBySlug(t.Context(), "go.example.com", "edit")
	equalLink(t, "after clearing", got, want)
}

func testUpdateImmutable(t *testing.T, s Store) {
	l := create(t, s, newLink("", "fixed"))
	got, err := s.UpdateLink(t.Context(), "", "fixed", func(l *linkwatch.Link) error {
		l.ID, l.Slug, l.Domain, l.CreatedAt = 999, "moved", "go.example.com", created().Add(time.Hour)
		l.Destination = "https://example.com/changed"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := *l
	want.Destination = "https://example.com/changed"
	equalLink(t, "UpdateLink ignores ID, slug, domain and creation time", got, want)
	if _, err := s.LinkBySlug(t.Context(), "", "fixed"); err != nil {
		t.Errorf("LinkBySlug after an attempted move: %v", err)
	}
	_, err = s.LinkBySlug(t.Context(), "go.example.com", "moved")
	wantCode(t, "LinkBySlug(moved)", err, linkwatch.ENOTFOUND)
}

func testUpdateRollback(t *testing.T, s Store) {
	l := create(t, s, newLink("", "keep"))
	refused := linkwatch.FieldErrorf("destination", "no")
	got, err := s.UpdateLink(t.Context(), "", "keep", func(l *linkwatch.Link) error {
		l.Destination = "https://example.com/half-done"
		return refused
	})
	if err != refused {
		t.Errorf("UpdateLink returned %v (%T), want fn's error unchanged", err, err)
	}
	if got != nil {
		t.Errorf("UpdateLink returned link %+v with an error", got)
	}
	after, err := s.LinkBySlug(t.Context(), "", "keep")
	if err != nil {
		t.Fatal(err)
	}
	equalLink(t, "after a refused update", after, *l)
}

func testUpdateNotFound(t *testing.T, s Store) {
	called := false
	_, err := s.UpdateLink(t.Context(), "", "ghost", func(*linkwatch.Link) error {
		called = true
		return nil
	})
	wantCode(t, "UpdateLink(ghost)", err, linkwatch.ENOTFOUND)
	if called {
		t.Error("UpdateLink called fn for a missing link")
	}
}

func testDelete(t *testing.T, s Store) {
	gone := create(t, s, newLink("", "gone"))
	kept := create(t, s, newLink("", "kept"))
	at := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	scans := []linkwatch.Scan{
		{LinkID: gone.ID, At: at, Source: linkwatch.SourceQR, Device: linkwatch.DeviceMobile},
		{LinkID: kept.ID, At: at, Source: linkwatch.SourceLink, Device: linkwatch.DeviceDesktop},
	}
	if err := s.InsertScans(t.Context(), scans); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLink(t.Context(), "", "gone"); err != nil {
		t.Fatal(err)
	}
	_, err := s.LinkBySlug(t.Context(), "", "gone")
	wantCode(t, "LinkBySlug after DeleteLink", err, linkwatch.ENOTFOUND)
	wantCode(t, "DeleteLink twice", s.DeleteLink(t.Context(), "", "gone"), linkwatch.ENOTFOUND)
	wantCode(t, "DeleteLink on the wrong domain", s.DeleteLink(t.Context(), "go.example.com", "kept"), linkwatch.ENOTFOUND)
	for _, tt := range []struct {
		id    int64
		total int64
	}{{gone.ID, 0}, {kept.ID, 1}} {
		st, err := s.ScanStats(t.Context(), linkwatch.ScanQuery{LinkID: tt.id, From: at, To: at.Add(time.Hour), Bucket: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if st.Total != tt.total {
			t.Errorf("link %d has %d scans after deleting link %d, want %d", tt.id, st.Total, gone.ID, tt.total)
		}
	}
	// The slug is free again.
	create(t, s, newLink("", "gone"))
}
