package webhook

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/linkwatch/linkwatch/alerting"
)

// Payload is the JSON body of every webhook request, schema version 1 (the
// "/1" of the User-Agent and the "v1" of the signature). The schema is
// stable: fields may be added, none will be renamed, retyped or removed
// within version 1. Every field is always present; strings with nothing to
// say are "", lists are [] and labels are {}. Timestamps are RFC 3339 in
// UTC.
//
// It deliberately leaves out what only the on-call team may see: link
// destinations, redirect hops and silence links. Webhook receivers are
// campaign owners' own systems.
type Payload struct {
	// ID is unique per notification and identical across retries of it,
	// like the Linkwatch-Webhook-Id header: receivers deduplicate on it.
	ID string `json:"id"`
	// DedupeKey identifies the alert (rule and scope) across its lifetime:
	// a resolution carries its firing's key.
	DedupeKey string `json:"dedupe_key"`
	// Kind is "firing", "repeat" (still firing) or "resolved".
	Kind string `json:"kind"`
	// Rule is the alert rule's name, e.g. "link_down".
	Rule string `json:"rule"`
	// Severity is "critical", "warning" or "info".
	Severity string `json:"severity"`
	// Summary is one line: what broke.
	Summary string            `json:"summary"`
	Labels  map[string]string `json:"labels"`
	// Since is when the alert started firing; At is when this notification
	// was created (not sent: retries carry the same At).
	Since time.Time `json:"since"`
	At    time.Time `json:"at"`
	// Alerts are the members of a group: one for an ungrouped alert.
	Alerts []Alert `json:"alerts"`
	// Recovered, in a group's update, are the links that recovered since
	// its previous message.
	Recovered  []string `json:"recovered"`
	RunbookURL string   `json:"runbook_url"`
	// Runbook is a default rule's built-in advice (what to check first),
	// given when the rule has no runbook_url.
	Runbook string `json:"runbook"`
	// StatusURL is the status page, for link_down.
	StatusURL string `json:"status_url"`
}

// Alert is one alerting target in a Payload.
type Alert struct {
	Link       string   `json:"link"`      // slug, "" for monitors and platform alerts
	ShortURL   string   `json:"short_url"` // the link's public short URL
	Monitor    string   `json:"monitor"`
	Tags       []string `json:"tags"`    // campaign tags
	Regions    []string `json:"regions"` // regions that see the failure
	ErrorClass string   `json:"error_class"`
	Error      string   `json:"error"`
	Value      string   `json:"value"`      // the evaluated value, formatted
	HealthURL  string   `json:"health_url"` // the link's health in the API
}

// payload converts a notification to the webhook schema.
func payload(n alerting.Notification) Payload {
	p := Payload{
		ID:         n.ID,
		DedupeKey:  n.DedupeKey,
		Kind:       n.Kind,
		Rule:       n.Rule,
		Severity:   n.Severity,
		Summary:    n.Summary,
		Labels:     map[string]string{},
		Since:      n.Since.UTC(),
		At:         n.At.UTC(),
		Alerts:     make([]Alert, 0, len(n.Alerts)),
		Recovered:  nonNil(n.Recovered),
		RunbookURL: n.RunbookURL,
		Runbook:    n.Runbook,
		StatusURL:  n.StatusURL,
	}
	for k, v := range n.Labels {
		p.Labels[k] = v
	}
	for _, a := range n.Alerts {
		p.Alerts = append(p.Alerts, Alert{
			Link:       a.Link,
			ShortURL:   a.ShortURL,
			Monitor:    a.Monitor,
			Tags:       nonNil(a.Tags),
			Regions:    nonNil(a.Regions),
			ErrorClass: a.ErrorClass,
			Error:      a.Error,
			Value:      a.Value,
			HealthURL:  a.HealthURL,
		})
	}
	return p
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// marshal encodes n's payload as compact JSON, the exact bytes that are
// signed and sent. HTML is not escaped: receivers parse JSON, not HTML, and
// "&" in a URL should read as "&".
func marshal(n alerting.Notification) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(payload(n)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
