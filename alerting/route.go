package alerting

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
)

// Channel types.
const (
	ChannelSlack   = "slack"
	ChannelWebhook = "webhook"
	ChannelDatadog = "datadog"
)

// ChannelSpec declares a notification channel in the YAML configuration
// (channels). Secrets may be written as ${ENV_VAR}, expanded at load, so the
// file can be committed.
//
//   - {name: oncall, type: slack, token: "${SLACK_TOKEN}", channel: "#oncall"}
//   - {name: growth, type: slack, webhook_url: "${GROWTH_SLACK_WEBHOOK}"}
//   - {name: crm, type: webhook, url: https://crm.example.com/hooks/linkwatch, secret: "${CRM_SECRET}"}
//   - {name: dd-events, type: datadog} # the implicit "datadog" channel usually suffices
type ChannelSpec struct {
	Name string `json:"name" yaml:"name"`
	Type string `json:"type" yaml:"type"`
	// Slack: an incoming webhook, or a bot token with a channel.
	WebhookURL linkwatch.Secret `json:"webhook_url,omitempty" yaml:"webhook_url,omitempty"`
	Token      linkwatch.Secret `json:"token,omitempty" yaml:"token,omitempty"`
	Channel    string           `json:"channel,omitempty" yaml:"channel,omitempty"`
	APIURL     string           `json:"api_url,omitempty" yaml:"api_url,omitempty"`
	// Webhook: the receiver's URL and the HMAC-SHA256 signing key.
	URL    linkwatch.Secret `json:"url,omitempty" yaml:"url,omitempty"`
	Secret linkwatch.Secret `json:"secret,omitempty" yaml:"secret,omitempty"`
}

var channelName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// Validate checks the fields the channel's type needs. Errors never quote
// secrets.
func (c ChannelSpec) Validate() error {
	if !channelName.MatchString(c.Name) {
		return linkwatch.FieldErrorf("name", "channel name must be 1-63 lower-case letters, digits, - or _, starting with a letter; got %q", c.Name)
	}
	if c.Name == "subscriber" {
		return linkwatch.FieldErrorf("name", "channel name %q is reserved for the status page's subscribers", c.Name)
	}
	switch c.Type {
	case ChannelSlack:
		if (c.WebhookURL == "") == (c.Token == "") {
			return linkwatch.FieldErrorf("webhook_url", "channel %s: a slack channel needs webhook_url or token, not both", c.Name)
		}
		if c.Token != "" && c.Channel == "" {
			return linkwatch.FieldErrorf("channel", "channel %s: a slack bot token needs channel", c.Name)
		}
	case ChannelWebhook:
		if c.URL == "" || len(c.Secret) < 16 {
			return linkwatch.FieldErrorf("url", "channel %s: a webhook needs url and a secret of at least 16 bytes", c.Name)
		}
	case ChannelDatadog:
	default:
		return linkwatch.FieldErrorf("type", "channel %s: type must be slack, webhook or datadog; got %q", c.Name, c.Type)
	}
	return nil
}

// RouteSpec sends the notifications its matchers select to its channels.
// Match uses the silences' syntax, e.g. {severity="critical"} or
// {campaign=~"spring.*", severity!="info"}; an empty Match selects every
// notification.
type RouteSpec struct {
	Match    string   `json:"match,omitempty" yaml:"match,omitempty"`
	Channels []string `json:"channels" yaml:"channels"`
}

// Router picks the channels of a notification from its labels.
type Router struct {
	channels []string
	routes   []compiledRoute
}

type compiledRoute struct {
	match    []CompiledMatcher
	channels []string
}

// NewRouter compiles routes over the named channels. Without routes, every
// channel receives every notification; with routes, a notification goes to
// the union of the channels of every route that matches it, and nowhere
// when none does (it is still recorded in the alert history).
func NewRouter(channels []string, routes []RouteSpec) (*Router, error) {
	r := &Router{channels: slices.Sorted(slices.Values(channels))}
	for i, rs := range routes {
		ms, err := ParseMatchers(rs.Match)
		if err != nil {
			return nil, fmt.Errorf("routes[%d].match: %s", i, linkwatch.ErrorMessage(err))
		}
		var cms []CompiledMatcher
		if len(ms) > 0 {
			if cms, err = compileMatchers(fmt.Sprintf("routes[%d].match", i), ms); err != nil {
				return nil, err
			}
		}
		if len(rs.Channels) == 0 {
			return nil, fmt.Errorf("routes[%d]: channels must name at least one channel", i)
		}
		for _, c := range rs.Channels {
			if !slices.Contains(channels, c) {
				return nil, fmt.Errorf("routes[%d]: unknown channel %q", i, c)
			}
		}
		r.routes = append(r.routes, compiledRoute{match: cms, channels: rs.Channels})
	}
	return r, nil
}

// Channels returns the channels a notification with these labels goes to,
// sorted.
func (r *Router) Channels(labels map[string]string) []string {
	if r == nil {
		return nil
	}
	if len(r.routes) == 0 {
		return r.channels
	}
	var out []string
	for _, rt := range r.routes {
		ok := true
		for _, m := range rt.match {
			if !m.Matches(labels) {
				ok = false
				break
			}
		}
		if ok {
			for _, c := range rt.channels {
				if !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// Has reports that the router knows the channel.
func (r *Router) Has(channel string) bool {
	return r != nil && slices.Contains(r.channels, channel)
}

// ChannelInfo describes a channel for the API, without its secrets.
type ChannelInfo struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Target says where it posts, secrets left out: a Slack channel, "an
	// incoming webhook", a webhook's host, the DogStatsD address.
	Target string `json:"target"`
	// Source is "config" (the file's channels) or "env" (the
	// LINKWATCH_SLACK_*, LINKWATCH_WEBHOOK_* and LINKWATCH_DOGSTATSD_ADDR
	// settings).
	Source string `json:"source"`
}

// Channels holds the notifiers by channel name and their descriptions.
type Channels struct {
	infos     []ChannelInfo
	notifiers map[string]Notifier
	now       func() time.Time
}

// NewChannels returns the registry; infos and notifiers name the same
// channels.
func NewChannels(infos []ChannelInfo, notifiers map[string]Notifier) *Channels {
	slices.SortFunc(infos, func(a, b ChannelInfo) int { return strings.Compare(a.Name, b.Name) })
	return &Channels{infos: infos, notifiers: notifiers, now: time.Now}
}

// Channels describes every channel, by name.
func (c *Channels) Channels() []ChannelInfo { return slices.Clone(c.infos) }

// Notifiers returns the notifiers by channel name, for the deliverer.
func (c *Channels) Notifiers() map[string]Notifier { return c.notifiers }

// Names returns the channels' names, sorted.
func (c *Channels) Names() []string {
	out := make([]string, 0, len(c.infos))
	for _, i := range c.infos {
		out = append(out, i.Name)
	}
	return out
}

// Test sends the channel a test notification now, outside the outbox.
func (c *Channels) Test(ctx context.Context, name string) error {
	n, ok := c.notifiers[name]
	if !ok {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "no channel named %q", name)
	}
	now := c.now()
	id := linkwatch.NewID()
	_, err := n.Notify(ctx, Notification{ID: id, DedupeKey: "test|" + id, Kind: KindFiring, Rule: "test", Severity: SeverityInfo,
		Summary: "Test notification from Linkwatch: this channel receives alerts", Labels: map[string]string{"rule": "test"},
		Since: now, At: now}, "")
	if err != nil {
		return linkwatch.Errorf(linkwatch.EUNAVAILABLE, "channel %s: %s", name, err)
	}
	return nil
}
