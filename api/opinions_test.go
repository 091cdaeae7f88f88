package api

import (
	"slices"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// TestSecondOpinions: a region's first failure of a link asks every other
// region to check it now (never the failing one); a failure in a second
// region gets its own second opinion even though the first region's was
// just asked; a region still failing, or failing again within the
// interval, asks nothing more.
func TestSecondOpinions(t *testing.T) {
	e := newEnv(t)
	var l LinkDoc
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"op","destination":"https://a.com/","check_interval":"60s"}`, 201, &l)
	target := linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
	e.api.hub.setInterval(l.ID, time.Minute)
	sub := e.api.hub.subscribe()
	defer e.api.hub.unsubscribe(sub)
	asked := func() []string {
		var out []string
		for len(sub.events) > 0 {
			if ev := <-sub.events; ev.check != nil && ev.check.target == target {
				out = append(out, ev.check.except)
			}
		}
		return out
	}
	at := testNow
	result := func(region string, ok bool) linkwatch.Result {
		at = at.Add(time.Second)
		r := linkwatch.Result{ID: linkwatch.NewID(), Target: target, Region: region, Prober: region + "/p", At: at, Status: 200}
		if !ok {
			r.Status, r.Class, r.Step, r.Error = 503, linkwatch.ClassHTTPStatus, linkwatch.StepDestination, "503"
		}
		return r
	}
	ingest := func(r linkwatch.Result) []string {
		e.api.Ingested(t.Context(), []linkwatch.Result{r})
		return asked()
	}
	steps := []struct {
		what   string
		result linkwatch.Result
		want   []string // the except of each check request, in order
	}{
		{"eu-west passes", result("eu-west", true), nil},
		{"eu-west fails", result("eu-west", false), []string{"eu-west"}},
		{"eu-west still fails", result("eu-west", false), nil},
		{"us-east fails for the first time", result("us-east", false), []string{"us-east"}},
		{"eu-west recovers", result("eu-west", true), nil},
		{"eu-west fails again within the interval", result("eu-west", false), nil},
	}
	for _, s := range steps {
		if got := ingest(s.result); !slices.Equal(got, s.want) {
			t.Errorf("%s: second opinions asked except %v, want %v", s.what, got, s.want)
		}
	}
}
