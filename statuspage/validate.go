package statuspage

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch"
)

var componentID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidID reports whether s can be a component's ID (lower-case letters,
// digits, - and _; it appears in badge URLs).
func ValidID(s string) bool { return componentID.MatchString(s) }

func text(field, s string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return linkwatch.FieldErrorf(field, "%s is required", field)
	case !utf8.ValidString(s):
		return linkwatch.FieldErrorf(field, "%s must be UTF-8 text", field)
	case utf8.RuneCountInString(s) > max:
		return linkwatch.FieldErrorf(field, "%s is longer than %d characters", field, max)
	}
	return nil
}

// Validate checks a component on its own; groups and references are
// checked against the others by ValidateSet.
func (c *Component) Validate() error {
	if !ValidID(c.ID) {
		return linkwatch.FieldErrorf("id", "id must be 1-63 lower-case letters, digits, - or _; got %q", c.ID)
	}
	if err := text("name", c.Name, 200, true); err != nil {
		return err
	}
	if err := text("description", c.Description, 2000, false); err != nil {
		return err
	}
	set := 0
	for _, v := range []string{c.Link, c.Tag, c.Monitor} {
		if v != "" {
			set++
		}
	}
	switch {
	case c.Group && set > 0:
		return linkwatch.FieldErrorf("group", "a group shows its components; it names no link, tag or monitor")
	case c.Group && c.GroupID != "":
		return linkwatch.FieldErrorf("group_id", "groups are one level deep: a group cannot be in a group")
	case !c.Group && set != 1:
		return linkwatch.FieldErrorf("link", "a component shows exactly one of link, tag or monitor")
	}
	if c.Link != "" {
		if err := linkwatch.ValidateSlug(c.Link); err != nil {
			return linkwatch.FieldErrorf("link", "link: %s", linkwatch.ErrorMessage(err))
		}
	}
	if c.Position < 0 || c.Position > 1_000_000 {
		return linkwatch.FieldErrorf("position", "position must be from 0 to 1000000")
	}
	if !slices.Contains([]string{AutoOff, AutoDraft, AutoPublish}, c.AutoIncident) {
		return linkwatch.FieldErrorf("auto_incident", "auto_incident must be draft or published (or empty: off); got %q", c.AutoIncident)
	}
	return nil
}

// ValidateSet checks that every component's group exists and is a group,
// and that IDs are unique.
func ValidateSet(all []Component) error {
	byID := map[string]Component{}
	for _, c := range all {
		if _, dup := byID[c.ID]; dup {
			return linkwatch.Errorf(linkwatch.ECONFLICT, "component %q is declared twice", c.ID)
		}
		byID[c.ID] = c
	}
	for _, c := range all {
		if c.GroupID == "" {
			continue
		}
		g, ok := byID[c.GroupID]
		if !ok || !g.Group {
			return linkwatch.FieldErrorf("group_id", "component %s: group_id %q is not a group", c.ID, c.GroupID)
		}
	}
	return nil
}

var incidentStatuses = []string{Investigating, Identified, Monitoring, Resolved, Postmortem}
var maintenanceStatuses = []string{Scheduled, InProgress, Verifying, Completed}

// Validate checks an incident or maintenance against the components known.
func (in *Incident) Validate(known func(id string) bool) error {
	if err := text("name", in.Name, 300, true); err != nil {
		return err
	}
	statuses := incidentStatuses
	if in.Maintenance {
		statuses = maintenanceStatuses
	}
	if !slices.Contains(statuses, in.Status) {
		return linkwatch.FieldErrorf("status", "status must be one of %s; got %q", strings.Join(statuses, ", "), in.Status)
	}
	impacts := []string{ImpactNone, ImpactMinor, ImpactMajor, ImpactCritical}
	if in.Maintenance {
		impacts = append(impacts, ImpactMaintenance)
	}
	if !slices.Contains(impacts, in.Impact) {
		return linkwatch.FieldErrorf("impact", "impact must be none, minor, major or critical; got %q", in.Impact)
	}
	if in.Maintenance && (in.ScheduledFor.IsZero() || !in.ScheduledUntil.After(in.ScheduledFor)) {
		return linkwatch.FieldErrorf("scheduled_until", "a maintenance needs scheduled_for and a later scheduled_until")
	}
	for _, a := range in.Components {
		if !known(a.ComponentID) {
			return linkwatch.FieldErrorf("components", "no component %q", a.ComponentID)
		}
		if !slices.Contains(ComponentStatuses, a.Status) {
			return linkwatch.FieldErrorf("components", "component %s: status must be one of %s; got %q", a.ComponentID, strings.Join(ComponentStatuses, ", "), a.Status)
		}
	}
	for _, u := range in.Updates {
		if err := text("body", u.Body, 20000, false); err != nil {
			return err
		}
	}
	return nil
}
