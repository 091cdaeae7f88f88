package storagetest

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/storage"
)

// linkWithFallback is a link in failover mode auto with a fallback URL.
func linkWithFallback(slug string) *linkwatch.Link {
	l := newLink("", slug)
	l.FallbackURL = "https://backup.example.com/" + slug
	return l
}

func linkNamed(t *testing.T, s Store, slug string) *linkwatch.Link {
	t.Helper()
	l, err := s.LinkBySlug(t.Context(), "", slug)
	if err != nil {
		t.Fatalf("LinkBySlug(%q): %v", slug, err)
	}
	return l
}

// failoverAlert is link_failover's stored alert over slug, in phase p.
func failoverAlert(slug string, p alerting.Phase) alerting.StoredAlert {
	return alerting.StoredAlert{Key: alerting.RuleFailover + "|link/" + slug, Rule: alerting.RuleFailover,
		Severity: alerting.SeverityWarning, Scope: "link/" + slug, Summary: slug + " now sends visitors to its fallback",
		State: alerting.AlertState{Phase: p, Since: noon(), FiredAt: noon()}, UpdatedAt: noon()}
}

// testFailoverSwitch: the engine's failover decision is written with the
// alert that made it, in one transaction, under the evaluator's fence;
// watchers (every redirector) hear of the link once it commits. A deposed
// evaluator's decision, one made on a link pinned meanwhile, and one about
// a link that is gone are refused whole and change nothing — nor does
// anyone hear of them.
func testFailoverSwitch(t *testing.T, s Store) {
	l := create(t, s, linkWithFallback("spring"))
	create(t, s, newLink("", "marker"))
	w := watch(t, s)
	w.expect(t, "subscribing", linkwatch.LinkChange{Reset: true})
	fence := evaluator(t, s, "control-a")

	since := time.Date(2024, 3, 10, 12, 3, 0, 456789, zone())
	out := []alerting.LinkFailover{{LinkID: l.ID, Domain: "", Slug: "spring", Mode: linkwatch.FailoverAuto, Was: false,
		FailedOver: true, Since: since, Reason: "the primary is down: 3 of 3 regions failing: http_status 503"}}
	fired := failoverAlert("spring", alerting.PhaseFiring)
	if err := s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{fired}, []alerting.Outgoing{outgoing("slack", "spring", 1)}, out); err != nil {
		t.Fatalf("SaveAlerts with a failover: %v", err)
	}
	w.expect(t, "the failover", linkwatch.LinkChange{Slug: "spring"})
	want := *l
	want.FailedOver, want.FailoverSince, want.FailoverReason = true, since, out[0].Reason
	want.UpdatedAt = since // a switch changes what the link serves: checks begun before it are not current
	equalLink(t, "the link after its failover", linkNamed(t, s, "spring"), want)
	equalAlerts(t, "the alert saved with the failover", alerts(t, s), fired)
	if !linkNamed(t, s, "spring").ServesFallback() {
		t.Error("a failed-over link in auto mode does not serve its fallback")
	}

	// Another evaluator takes over; the deposed one's return to the primary
	// is refused whole.
	if _, ok, err := s.Lease(t.Context(), storage.EvaluatorLease, "control-b", time.Minute, noon().Add(2*time.Minute)); err != nil || !ok {
		t.Fatalf("takeover: %v, %v", ok, err)
	}
	back := []alerting.LinkFailover{{LinkID: l.ID, Slug: "spring", Mode: linkwatch.FailoverAuto, Was: true, FailedOver: false,
		Since: noon().Add(3 * time.Minute), Reason: "back to the primary"}}
	resolved := failoverAlert("spring", alerting.PhaseResolved)
	err := s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{resolved}, nil, back)
	wantCode(t, "a deposed evaluator's return to the primary", err, linkwatch.ECONFLICT)
	equalLink(t, "the link after a deposed evaluator's save", linkNamed(t, s, "spring"), want)
	equalAlerts(t, "the alert after a deposed evaluator's save", alerts(t, s), fired)
	fence = evaluator(t, s, "control-b") // renews at noon: the term runs to noon+3m

	// Pinned meanwhile: a decision taken on the auto link is refused.
	pinned, err := s.UpdateLink(t.Context(), "", "spring", func(l *linkwatch.Link) error {
		l.Failover, l.FailoverSince, l.FailoverReason = linkwatch.FailoverPrimary, noon(), "pinned to the primary by hand"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.expect(t, "the pin", linkwatch.LinkChange{Slug: "spring"})
	err = s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{resolved}, nil, back)
	wantCode(t, "a decision on a link pinned meanwhile", err, linkwatch.ECONFLICT)
	equalLink(t, "the pinned link after a refused decision", linkNamed(t, s, "spring"), *pinned)
	equalAlerts(t, "the alert after a refused decision", alerts(t, s), fired)

	// Decided on the pinned link: FailedOver is cleared, the pin's since
	// and reason kept (a zero Since keeps them).
	clear := []alerting.LinkFailover{{LinkID: l.ID, Slug: "spring", Mode: linkwatch.FailoverPrimary, Was: true, FailedOver: false}}
	if err := s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{resolved}, nil, clear); err != nil {
		t.Fatalf("SaveAlerts clearing a pinned link's failover: %v", err)
	}
	w.expect(t, "the cleared failover", linkwatch.LinkChange{Slug: "spring"})
	want = *pinned
	want.FailedOver = false
	equalLink(t, "the pinned link after its failover was cleared", linkNamed(t, s, "spring"), want)
	equalAlerts(t, "the resolution", alerts(t, s), resolved)

	// A link that is gone: refused.
	gone := []alerting.LinkFailover{{LinkID: l.ID + 1000, Slug: "gone", Mode: linkwatch.FailoverAuto, FailedOver: true, Since: noon()}}
	err = s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{fired}, nil, gone)
	wantCode(t, "a failover of a link that is gone", err, linkwatch.ECONFLICT)
	equalAlerts(t, "the alert after a refused failover", alerts(t, s), resolved)
	err = s.SaveAlerts(t.Context(), fence, nil, nil, []alerting.LinkFailover{{LinkID: l.ID, Mode: "sideways"}})
	wantCode(t, "an unknown mode", err, linkwatch.EINVALID)

	// Watchers heard of none of the refused decisions: the next change
	// they hear is this one.
	if _, err := s.UpdateLink(t.Context(), "", "marker", func(*linkwatch.Link) error { return nil }); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "the next write after the refused ones", linkwatch.LinkChange{Slug: "marker"})
}

// testFallbackResults: a link's fallback has results of its own (kind
// fallback, the link's ID), which exist as a target only while the link
// has a fallback URL, and go with the link.
func testFallbackResults(t *testing.T, s Store) {
	with := create(t, s, linkWithFallback("with"))
	without := create(t, s, newLink("", "without"))
	fb := func(id int64) linkwatch.Target { return linkwatch.Target{Kind: linkwatch.KindFallback, ID: id} }
	link := linkwatch.Target{Kind: linkwatch.KindLink, ID: with.ID}

	got, err := s.ExistingTargets(t.Context(), []linkwatch.Target{fb(with.ID), fb(without.ID), link})
	if err != nil {
		t.Fatal(err)
	}
	if !got[fb(with.ID)] || got[fb(without.ID)] || !got[link] {
		t.Errorf("ExistingTargets = %v, want the fallback of %d and its link, not the fallback of %d", got, with.ID, without.ID)
	}

	down := result(fb(with.ID), "eu", noon())
	down.Class, down.Status = linkwatch.ClassHTTPStatus, 503
	insertResults(t, s, []linkwatch.Result{result(link, "eu", noon()), down})
	var sawFallback bool
	for _, l := range latestAll(t, s) {
		if l.Target == fb(with.ID) {
			sawFallback = l.Failures == 1 && l.Class == linkwatch.ClassHTTPStatus
		}
	}
	if !sawFallback {
		t.Errorf("LatestAll lacks the fallback's failing result: %+v", latestAll(t, s))
	}
	if n := len(results(t, s, fb(with.ID))); n != 1 {
		t.Errorf("%d results of the fallback, want 1", n)
	}

	if err := s.DeleteLink(t.Context(), "", "with"); err != nil {
		t.Fatal(err)
	}
	if n := len(results(t, s, fb(with.ID))) + len(latest(t, s, fb(with.ID))) + len(rollups(t, s, fb(with.ID), linkwatch.Hourly)) +
		len(rollups(t, s, fb(with.ID), linkwatch.Daily)); n != 0 {
		t.Errorf("%d results, latest results and rollups of the fallback left after deleting its link", n)
	}
}
