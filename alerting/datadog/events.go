package datadog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/linkwatch/linkwatch/alerting"
)

var _ alerting.Notifier = (*Client)(nil)

// Limits of DataDog events.
const (
	maxTitle          = 100  // characters DataDog shows of a title
	maxText           = 4000 // characters DataDog keeps of a text
	maxAggregationKey = 100
	// maxAge: the API rejects events dated more than 18 hours ago; older
	// notifications (an outbox drained after a long outage) are dated now.
	maxAge = 17 * time.Hour
	// maxAlertTags bounds the link:, monitor: and tag: tags one grouped
	// notification adds.
	maxAlertTags = 30
	// eventOverhead is room in a DogStatsD event for what is neither title,
	// text nor tags: the header, the k:, t:, d: fields and the container ID
	// datadog-go may append.
	eventOverhead = 300
)

// event is a DataDog event; its JSON is the events API's payload.
type event struct {
	Title          string   `json:"title"`
	Text           string   `json:"text"`
	AlertType      string   `json:"alert_type"`
	AggregationKey string   `json:"aggregation_key,omitempty"`
	DateHappened   int64    `json:"date_happened,omitempty"`
	Tags           []string `json:"tags,omitempty"`
}

// errClosed is returned by Notify after Close; the notification stays pending.
var errClosed = errors.New("datadog: client is closed")

// Notify sends n as a DataDog event: alert type error for a critical alert
// firing, warning or info for lesser severities, success when it resolves;
// the aggregation key is n.DedupeKey, so DataDog groups an alert's firing,
// repeats and resolution. ref is unused: an event is never edited.
//
// With an API key the event is posted to the events API, and the Delivery
// says whether to retry (429, 5xx and network errors) and how long to wait.
// Otherwise it goes over DogStatsD, which cannot acknowledge it: success means
// the datagram was written, and only a client error (closed, message too
// large) is reported.
func (c *Client) Notify(ctx context.Context, n alerting.Notification, ref string) (alerting.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return alerting.Delivery{Retry: true}, err
	}
	if c.apiKey != "" {
		return c.post(ctx, c.event(n, maxText))
	}
	return c.send(n)
}

// send writes n to DogStatsD and flushes it, so that Notify returns after the
// datagram left.
func (c *Client) send(n alerting.Notification) (alerting.Delivery, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed || c.statsd == nil {
		return alerting.Delivery{Retry: true}, errClosed
	}
	ev := c.event(n, 0)
	// Cut the text to what fits in one payload: datadog-go rejects a larger
	// message.
	room := c.payload - eventOverhead - len(ev.Title) - len(ev.AggregationKey)
	for _, t := range ev.Tags {
		room -= len(t) + 1
	}
	for _, t := range c.tags {
		room -= len(t) + 1
	}
	ev.Text = truncateEscaped(c.text(n), min(room, maxText))

	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	err := c.statsd.Event(&statsd.Event{
		Title:          ev.Title,
		Text:           ev.Text,
		Timestamp:      time.Unix(ev.DateHappened, 0),
		AggregationKey: ev.AggregationKey,
		AlertType:      statsd.EventAlertType(ev.AlertType),
		Tags:           ev.Tags,
	})
	if errors.As(err, new(statsd.MessageTooLongError)) {
		// Retrying cannot shrink it: too many or too long tags.
		return alerting.Delivery{}, fmt.Errorf("datadog: event %s does not fit a DogStatsD payload of %d bytes", n.ID, c.payload)
	}
	if err != nil {
		return alerting.Delivery{Retry: true}, fmt.Errorf("datadog: send event %s: %w", n.ID, err)
	}
	if err := c.statsd.Flush(); err != nil {
		return alerting.Delivery{Retry: true}, fmt.Errorf("datadog: flush event %s: %w", n.ID, err)
	}
	return alerting.Delivery{}, nil
}

// event renders n, with its text cut to textLimit bytes (0: no text).
func (c *Client) event(n alerting.Notification, textLimit int) event {
	ev := event{
		Title:          truncate(oneLine(title(n)), maxTitle),
		AlertType:      alertType(n),
		AggregationKey: aggregationKey(n.DedupeKey),
		Tags:           eventTags(n),
	}
	if textLimit > 0 {
		ev.Text = truncate(c.text(n), textLimit)
	}
	at := n.At
	if now := c.now(); at.IsZero() || now.Sub(at) > maxAge {
		at = now
	}
	ev.DateHappened = at.Unix()
	return ev
}

func alertType(n alerting.Notification) string {
	if n.Kind == alerting.KindResolved {
		return "success"
	}
	switch n.Severity {
	case alerting.SeverityCritical:
		return "error"
	case alerting.SeverityWarning:
		return "warning"
	default:
		return "info"
	}
}

func title(n alerting.Notification) string {
	state := "FIRING " + n.Severity
	switch n.Kind {
	case alerting.KindResolved:
		state = "RESOLVED"
	case alerting.KindRepeat:
		state = "STILL FIRING " + n.Severity
	}
	return fmt.Sprintf("[%s] %s: %s", state, n.Rule, n.Summary)
}

// text is the event's body: the summary, then one line per alert of the
// group, then the runbook and silence links. Destinations are left out: they
// may be private, and DataDog events are visible to the whole organisation.
func (c *Client) text(n alerting.Notification) string {
	var b strings.Builder
	b.WriteString(n.Summary)
	fmt.Fprintf(&b, "\nrule %s, severity %s", n.Rule, n.Severity)
	if !n.Since.IsZero() {
		fmt.Fprintf(&b, ", firing since %s", n.Since.UTC().Format(time.RFC3339))
		if n.Kind == alerting.KindResolved && n.At.After(n.Since) {
			fmt.Fprintf(&b, ", resolved after %s", alerting.HumanDuration(n.At.Sub(n.Since)))
		}
	}
	if len(n.Recovered) > 0 {
		b.WriteString("\nrecovered: " + strings.Join(n.Recovered, ", "))
	}
	for _, a := range n.Alerts {
		b.WriteString("\n- ")
		switch {
		case a.Link != "":
			b.WriteString("link " + a.Link)
			if a.ShortURL != "" {
				b.WriteString(" (" + a.ShortURL + ")")
			}
		case a.Monitor != "":
			b.WriteString("monitor " + a.Monitor)
		}
		if len(a.Regions) > 0 {
			b.WriteString(", regions " + strings.Join(a.Regions, ", "))
		}
		if a.ErrorClass != "" {
			b.WriteString(", " + a.ErrorClass)
			if a.Error != "" {
				b.WriteString(": " + a.Error)
			}
		}
		if a.Value != "" {
			b.WriteString(", " + a.Value)
		}
		if a.HealthURL != "" {
			b.WriteString(", health: " + a.HealthURL)
		}
	}
	if n.RunbookURL != "" {
		b.WriteString("\nrunbook: " + n.RunbookURL)
	} else if n.Runbook != "" {
		b.WriteString("\nrunbook: " + n.Runbook)
	}
	if n.StatusURL != "" {
		b.WriteString("\nstatus page: " + n.StatusURL)
	}
	if n.SilenceURL != "" {
		b.WriteString("\nsilence: " + n.SilenceURL)
	}
	return b.String()
}

// eventTags are the notification's labels, rule and severity, and the links,
// monitors and campaign tags of its alerts (at most maxAlertTags), sorted.
func eventTags(n alerting.Notification) []string {
	tags := make([]string, 0, len(n.Labels)+2)
	for k, v := range n.Labels {
		tags = appendTag(tags, k, v)
	}
	tags = appendTag(tags, "rule", n.Rule)
	tags = appendTag(tags, "severity", n.Severity)
	var targets []string
	for _, a := range n.Alerts {
		targets = appendTag(targets, "link", a.Link)
		targets = appendTag(targets, "monitor", a.Monitor)
		for _, t := range a.Tags {
			targets = appendTag(targets, "tag", t)
		}
	}
	slices.Sort(targets)
	targets = slices.Compact(targets)
	tags = append(tags, targets[:min(len(targets), maxAlertTags)]...)
	slices.Sort(tags)
	return slices.Compact(tags)
}

// aggregationKey makes a dedupe key fit DataDog's 100 characters and
// DogStatsD's syntax; a longer key keeps its start and gains a hash of the
// whole, so distinct keys stay distinct.
func aggregationKey(key string) string {
	key = strings.Map(func(r rune) rune {
		if r == '|' || r == '\n' || r == '\r' {
			return '_'
		}
		return r
	}, key)
	if len(key) <= maxAggregationKey {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	h := "~" + hex.EncodeToString(sum[:8])
	head := maxAggregationKey - len(h)
	for head > 0 && !utf8.RuneStart(key[head]) {
		head--
	}
	return key[:head] + h
}

// oneLine keeps a title on one line: a newline would end the datagram.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// truncateEscaped cuts text so that, once DogStatsD escapes its newlines as
// two bytes, it takes at most n bytes, ellipsis included.
func truncateEscaped(text string, n int) string {
	if len(text)+strings.Count(text, "\n") <= n {
		return text
	}
	const ellipsis = "…"
	size := 0
	for i, r := range text {
		w := utf8.RuneLen(r)
		if r == '\n' {
			w = 2
		}
		if size+w+len(ellipsis) > n {
			if n < len(ellipsis) {
				return ""
			}
			return text[:i] + ellipsis
		}
		size += w
	}
	return text
}
