package dashboard

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/api"
)

// The API's alert and silence documents, decoded as the API defines them.
type (
	apiAlert   = api.AlertDoc
	apiSilence = api.SilenceDoc
)

// Silence lengths the alerts page offers. "Until resolved" is the API's
// silence until an alert resolves: the alert engine ends it when the alert
// resolves, and alerting.UntilResolvedBound bounds it.
var silenceChoices = []struct{ Value, Label string }{
	{"1h", "1 h"},
	{"4h", "4 h"},
	{"resolved", "until resolved"},
}

// alertRow is one alert of the page with the silences that hold it.
type alertRow struct {
	apiAlert
	Matchers  []string // name="value" of every label, sorted: what a silence of it matches
	Campaigns []campaignRef
	Link      string // the link page's path, for alerts on a link
	LinkName  string // domain/slug
	Silenced  []apiSilence
}

type campaignRef struct{ Tag, URL string }

// alertsPage lists firing and pending alerts, then those resolved in the
// last 24 hours, then the active silences; an admin session gets the
// silence controls.
func (d *Dashboard) alertsPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := d.alertsData(r)
		if err != nil {
			d.failAPI(w, r, err)
			return
		}
		data.Done = alertNotice(r.URL.Query())
		d.render(w, r, http.StatusOK, "alerts", data)
	}
}

type alertsData struct {
	Firing, Resolved []alertRow
	Silences         []apiSilence // the active ones
	Choices          []struct{ Value, Label string }
	Done             string // what the last action did
	Error            string
}

func (d *Dashboard) alertsData(r *http.Request) (*alertsData, error) {
	var alerts struct {
		Alerts []apiAlert `json:"alerts"`
	}
	if _, err := d.callAPI(r, http.MethodGet, "/alerts", nil, &alerts); err != nil {
		return nil, err
	}
	var silences struct {
		Silences []apiSilence `json:"silences"`
	}
	if _, err := d.callAPI(r, http.MethodGet, "/silences", nil, &silences); err != nil {
		return nil, err
	}
	data := &alertsData{Choices: silenceChoices}
	for _, s := range silences.Silences {
		if s.Active {
			data.Silences = append(data.Silences, s)
		}
	}
	for _, a := range alerts.Alerts {
		row := alertRow{apiAlert: a, Link: alertLinkPath(a.Labels), LinkName: linkName(a.Labels["domain"], a.Labels["link"])}
		for k, v := range a.Labels {
			row.Matchers = append(row.Matchers, alerting.Matcher{Name: k, Op: alerting.MatchEqual, Value: v}.String())
		}
		sort.Strings(row.Matchers)
		if c := a.Labels["campaign"]; c != "" {
			for _, tag := range strings.Split(c, ",") {
				row.Campaigns = append(row.Campaigns, campaignRef{tag, campaignPath(tag)})
			}
		}
		for _, s := range data.Silences {
			if silenceMatches(s, a.Labels) {
				row.Silenced = append(row.Silenced, s)
			}
		}
		if a.State == string(alerting.PhaseResolved) {
			data.Resolved = append(data.Resolved, row)
			continue
		}
		data.Firing = append(data.Firing, row)
	}
	return data, nil
}

// silenceMatches reports whether the silence's matchers (as the API lists
// them) select an alert with these labels, by the alert engine's own
// matching.
func silenceMatches(s apiSilence, labels map[string]string) bool {
	ms, err := alerting.ParseMatchers("{" + strings.Join(s.Matchers, ", ") + "}")
	if err != nil {
		return false
	}
	return alerting.Silence{Matchers: ms}.Matches(labels)
}

// alertLinkPath is the link page of an alert about a link, or "".
func alertLinkPath(labels map[string]string) string {
	if labels["link"] == "" {
		return ""
	}
	return linkHref(&linkwatch.Link{Slug: labels["link"], Domain: labels["domain"]})
}

// silenceAlert creates, through the API, a silence of every label of the
// alert named by the form's key, for 1 h, 4 h or until it resolves (the
// API's until_resolved, which takes the alert's labels itself). The alert
// is read again from the API: the form names it, it does not carry its
// labels.
func (d *Dashboard) silenceAlert() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, length := r.PostForm.Get("key"), r.PostForm.Get("for")
		data, err := d.alertsData(r)
		if err != nil {
			d.failAPI(w, r, err)
			return
		}
		var alert *alertRow
		for i := range data.Firing {
			if data.Firing[i].Key == key {
				alert = &data.Firing[i]
			}
		}
		body := map[string]any{"comment": "silenced from the dashboard"}
		end := d.now()
		switch length {
		case "1h":
			end = end.Add(time.Hour)
		case "4h":
			end = end.Add(4 * time.Hour)
		case "resolved":
			body["until_resolved"], body["comment"] = key, "silenced from the dashboard until it resolves"
		default:
			alert = nil
		}
		if alert == nil || len(alert.Matchers) == 0 {
			data.Error = "That alert is no longer firing, or the silence length is not one offered. Nothing was silenced."
			d.render(w, r, http.StatusUnprocessableEntity, "alerts", data)
			return
		}
		if length != "resolved" {
			body["matchers"] = "{" + strings.Join(alert.Matchers, ", ") + "}"
			body["end"] = end.UTC().Format(time.RFC3339)
		}
		if _, err := d.callAPI(r, http.MethodPost, "/silences", body, nil); err != nil {
			data.Error = "The silence was not created: " + linkwatch.ErrorMessage(err)
			d.render(w, r, http.StatusUnprocessableEntity, "alerts", data)
			return
		}
		http.Redirect(w, r, "/dashboard/alerts?silenced="+url.QueryEscape(key), http.StatusSeeOther)
	}
}

// endSilence ends a silence now, through the API.
func (d *Dashboard) endSilence() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if _, err := d.callAPI(r, http.MethodDelete, "/silences/"+url.PathEscape(id), nil, nil); err != nil {
			d.failAPI(w, r, err)
			return
		}
		http.Redirect(w, r, "/dashboard/alerts?ended=1", http.StatusSeeOther)
	}
}

// failAPI answers an API call that failed: its message for errors people
// can act on (not found, forbidden, invalid), a generic one otherwise.
func (d *Dashboard) failAPI(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusServiceUnavailable
	switch linkwatch.ErrorCode(err) {
	case linkwatch.ENOTFOUND:
		status = http.StatusNotFound
	case linkwatch.EFORBIDDEN:
		status = http.StatusForbidden
	case linkwatch.EINVALID, linkwatch.EBADREQUEST, linkwatch.ECONFLICT:
		status = http.StatusUnprocessableEntity
	default:
		d.log.Error("dashboard: an API call failed", "path", r.URL.Path, "err", err)
		d.renderError(w, r, status, "The dashboard cannot reach its data right now. Try again in a moment.")
		return
	}
	d.renderError(w, r, status, linkwatch.ErrorMessage(err))
}

// alertNotice is the message of the alerts page after an action.
func alertNotice(q url.Values) string {
	switch {
	case q.Get("silenced") != "":
		return "Silenced " + q.Get("silenced") + "."
	case q.Get("ended") != "":
		return "The silence has ended."
	}
	return ""
}
