package storage

import (
	"encoding/json"
	"fmt"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/statuspage"
)

// NormalizeComponent makes the caller's component equal to what the
// database stores: times in UTC milliseconds.
func NormalizeComponent(c *statuspage.Component) {
	c.StartDate, c.CreatedAt, c.UpdatedAt = millis(c.StartDate), millis(c.CreatedAt), millis(c.UpdatedAt)
}

// NormalizeIncident makes the caller's incident equal to what the database
// stores: times in UTC milliseconds, Components and Updates never nil, an
// update's Components nil when empty.
func NormalizeIncident(in *statuspage.Incident) {
	in.ScheduledFor, in.ScheduledUntil = millis(in.ScheduledFor), millis(in.ScheduledUntil)
	in.CreatedAt, in.UpdatedAt, in.StartedAt = millis(in.CreatedAt), millis(in.UpdatedAt), millis(in.StartedAt)
	in.MonitoringAt, in.ResolvedAt = millis(in.MonitoringAt), millis(in.ResolvedAt)
	if in.Components == nil {
		in.Components = []statuspage.Affected{}
	}
	if in.Updates == nil {
		in.Updates = []statuspage.Update{}
	}
	for i := range in.Updates {
		u := &in.Updates[i]
		u.CreatedAt, u.UpdatedAt, u.DisplayAt = millis(u.CreatedAt), millis(u.UpdatedAt), millis(u.DisplayAt)
		if len(u.Components) == 0 {
			u.Components = nil
		}
	}
}

func ComponentNotFound(id string) error {
	return linkwatch.Errorf(linkwatch.ENOTFOUND, "component %q not found", id)
}

func IncidentNotFound(id string) error {
	return linkwatch.Errorf(linkwatch.ENOTFOUND, "incident %q not found", id)
}

func SubscriberNotFound(id string) error {
	return linkwatch.Errorf(linkwatch.ENOTFOUND, "subscriber %q not found", id)
}

// IncidentLimit is the number of incidents an IncidentFilter's Limit reads.
func IncidentLimit(limit int) int {
	if limit <= 0 {
		return defaultIncidentLimit
	}
	return min(limit, maxIncidentLimit)
}

// Incident list limits: Limit 0 reads the default; more than the maximum
// reads the maximum.
const (
	defaultIncidentLimit = 100
	maxIncidentLimit     = 1000
)

// DecodeComponent reads a component's stored JSON body.
func DecodeComponent(body []byte) (*statuspage.Component, error) {
	var c statuspage.Component
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("stored component: %w", err)
	}
	NormalizeComponent(&c)
	return &c, nil
}

// DecodeIncident reads an incident's stored JSON body.
func DecodeIncident(body []byte) (*statuspage.Incident, error) {
	var in statuspage.Incident
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("stored incident: %w", err)
	}
	NormalizeIncident(&in)
	return &in, nil
}

// CheckSubscriber checks a new subscriber — an ID, and a webhook URL or an
// email address, not both — and sets its times as they will be stored.
func CheckSubscriber(sub *statuspage.Subscriber) error {
	switch {
	case sub.ID == "":
		return linkwatch.FieldErrorf("id", "a subscriber needs an ID")
	case sub.URL == "" && sub.Email == "":
		return linkwatch.FieldErrorf("url", "a subscriber needs a URL or an email address")
	case sub.URL != "" && sub.Email != "":
		return linkwatch.FieldErrorf("email", "a subscriber has a URL or an email address, not both")
	}
	sub.ConfirmedAt, sub.CreatedAt = millis(sub.ConfirmedAt), millis(sub.CreatedAt)
	return nil
}
