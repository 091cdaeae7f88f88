package api

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober"
)

// pushResults stores a push of results. Each result is checked on its own
// (checkResult, then that its link or monitor exists — for a fallback
// result, that its link has a fallback_url — all looked up in one call): the valid ones are stored, the others are rejected with a reason.
// 202 when every result was accepted, 207 with the rejections otherwise; a
// push that is not a batch at all (bad JSON, too large, too many results, a
// token that names no regions) is refused whole.
func (a *API) pushResults() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := requestToken(r)
		if err := namesRegions(tok); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		var batch prober.ResultBatch
		if err := decodeJSONLimit(r, &batch, maxResultsBody); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if len(batch.Results) > maxResultBatch {
			writeError(w, r, a.log, linkwatch.FieldErrorf("results", "at most %d results per push", maxResultBatch))
			return
		}
		now := a.now()
		out := prober.ResultsResponse{Rejected: []prober.RejectedResult{}}
		reject := func(i int, err error) {
			wr := &batch.Results[i]
			id := wr.ID
			if len(id) > 64 {
				id = ""
			}
			out.Rejected = append(out.Rejected, prober.RejectedResult{Index: i, ID: id, Field: linkwatch.ErrorField(err), Reason: linkwatch.ErrorMessage(err)})
		}
		valid := make([]int, 0, len(batch.Results))
		targets := make([]linkwatch.Target, 0, len(batch.Results))
		for i := range batch.Results {
			if err := checkResult(tok, &batch.Results[i], now); err != nil {
				reject(i, err)
				continue
			}
			valid = append(valid, i)
			targets = append(targets, linkwatch.Target{Kind: batch.Results[i].Kind, ID: batch.Results[i].TargetID})
		}
		exist, err := a.probes.ExistingTargets(r.Context(), targets)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		results := make([]linkwatch.Result, 0, len(valid))
		for _, i := range valid {
			wr := &batch.Results[i]
			if !exist[linkwatch.Target{Kind: wr.Kind, ID: wr.TargetID}] {
				if wr.Kind == linkwatch.KindFallback {
					reject(i, linkwatch.FieldErrorf("target_id", "no link with id %d and a fallback_url", wr.TargetID))
				} else {
					reject(i, linkwatch.FieldErrorf("target_id", "no %s with id %d", wr.Kind, wr.TargetID))
				}
				continue
			}
			results = append(results, wr.Result())
		}
		if err := a.probes.InsertResults(r.Context(), results); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.Ingested(r.Context(), results)
		out.Accepted = len(results)
		if len(out.Rejected) == 0 {
			writeJSON(w, http.StatusAccepted, out)
			return
		}
		// Rejections are collected in two passes; answer them in batch order.
		slices.SortFunc(out.Rejected, func(x, y prober.RejectedResult) int { return cmp.Compare(x.Index, y.Index) })
		first := out.Rejected[0]
		a.log.Warn("probe results rejected", "token", tokenName(r), "accepted", out.Accepted, "rejected", len(out.Rejected),
			"first_index", first.Index, "first_field", first.Field, "first_reason", first.Reason)
		writeJSON(w, http.StatusMultiStatus, out)
	})
}

// checkResult is everything about one pushed result that needs no storage:
// its fields' bounds and that tok may report for its region.
func checkResult(tok *linkwatch.Token, wr *prober.WireResult, now time.Time) error {
	if err := wr.Validate(now); err != nil {
		return err
	}
	if tok == nil || !tok.MayReport(wr.Region) {
		return linkwatch.FieldErrorf("region", "this token may not report for region %q", wr.Region)
	}
	return nil
}
