// Package slack delivers alert notifications to Slack, through an incoming
// webhook or a bot token (github.com/slack-go/slack). With a bot token a
// resolution edits the original message and replies in its thread; a
// webhook can only post new messages.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// Config configures a Slack notifier: a webhook URL, or a bot token and a
// default channel. With both, the bot is used, since only it can edit
// messages.
type Config struct {
	// WebhookURL is an incoming webhook (LINKWATCH_SLACK_WEBHOOK_URL). The
	// URL itself is a credential.
	WebhookURL linkwatch.Secret
	// Token is a bot token (LINKWATCH_SLACK_TOKEN) with chat:write.
	Token linkwatch.Secret
	// Channel is the bot's default channel (LINKWATCH_SLACK_CHANNEL), by ID
	// or name.
	Channel string
	// APIURL is the Slack Web API base URL (LINKWATCH_SLACK_API_URL), for
	// proxies and tests; empty means Slack's.
	APIURL string
	// Routes send notifications to channels by severity and labels (bot
	// mode only): the first matching route wins, else Channel.
	Routes []Route
	// HTTP is the client for all requests; nil means one with a 30 s
	// timeout.
	HTTP *http.Client
}

// Route sends the notifications that match it to Channel. An empty Severity
// matches every severity; Labels must all be equal to the notification's.
type Route struct {
	Severity string
	Labels   map[string]string
	Channel  string
}

func (r Route) matches(n alerting.Notification) bool {
	if r.Severity != "" && r.Severity != n.Severity {
		return false
	}
	for k, v := range r.Labels {
		if got, ok := n.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Notifier sends notifications to Slack. It is safe for concurrent use.
type Notifier struct {
	webhook  string // revealed webhook URL; "" in bot mode
	token    string // revealed bot token; "" in webhook mode
	channel  string
	apiURL   string
	routes   []Route
	http     *http.Client
	scrubber alerting.Scrubber // removes the token and webhook URL from errors
	now      func() time.Time
}

var _ alerting.Notifier = (*Notifier)(nil)

// New validates cfg and returns a notifier. Its errors never contain the
// token or the webhook URL.
func New(cfg Config) (*Notifier, error) {
	n := &Notifier{
		token:   cfg.Token.Reveal(),
		channel: cfg.Channel,
		apiURL:  cfg.APIURL,
		routes:  cfg.Routes,
		http:    cfg.HTTP,
		now:     time.Now,
	}
	if n.token == "" {
		n.webhook = cfg.WebhookURL.Reveal()
	}
	switch {
	case n.token == "" && n.webhook == "":
		return nil, errors.New("slack: a webhook URL, or a bot token and a channel, is required")
	case n.token != "" && n.channel == "":
		return nil, errors.New("slack: a bot token needs a default channel")
	case n.webhook != "" && !isAbsoluteURL(n.webhook):
		return nil, errors.New("slack: the webhook URL is not an absolute http(s) URL")
	}
	if n.apiURL == "" {
		n.apiURL = slack.APIURL
	}
	if !isAbsoluteURL(n.apiURL) {
		return nil, errors.New("slack: the API URL is not an absolute http(s) URL")
	}
	if !strings.HasSuffix(n.apiURL, "/") {
		n.apiURL += "/" // slack-go appends method names
	}
	for i, r := range n.routes {
		if r.Channel == "" {
			return nil, fmt.Errorf("slack: route %d has no channel", i+1)
		}
	}
	if n.http == nil {
		n.http = &http.Client{Timeout: 30 * time.Second}
	}
	n.scrubber = alerting.Scrubber{}.With(n.token).WithURL(cfg.WebhookURL.Reveal())
	if u, err := url.Parse(n.apiURL); err == nil {
		if pw, ok := u.User.Password(); ok {
			n.scrubber = n.scrubber.With(pw)
		}
	}
	return n, nil
}

func isAbsoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Notify sends n. In bot mode a firing alert is posted to its routed channel
// and the returned Ref is "channel:ts". Given the Ref of the original
// message, a resolution edits it (chat.update) and replies in its thread,
// and a repeat replies in the thread; without one they post anew. In webhook
// mode every notification is a new message and Ref is "". Failures say
// whether to retry (see classify) and never contain secrets.
func (n *Notifier) Notify(ctx context.Context, notif alerting.Notification, ref string) (alerting.Delivery, error) {
	if n.webhook != "" {
		no := false
		msg := &slack.WebhookMessage{
			Text:        fallbackText(notif),
			Blocks:      &slack.Blocks{BlockSet: Blocks(notif)},
			UnfurlLinks: &no, // destinations may be private: Slack must not fetch them
			UnfurlMedia: &no,
		}
		d, _, err := n.call("webhook", func(_ *slack.Client, hc *http.Client) error {
			return slack.PostWebhookCustomHTTPContext(ctx, n.webhook, hc, msg)
		})
		return d, err
	}
	message := slack.MsgOptionCompose(
		slack.MsgOptionText(fallbackText(notif), false),
		slack.MsgOptionBlocks(Blocks(notif)...),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	)
	channel, ts, ok := parseRef(ref)
	switch {
	case ok && notif.Kind == alerting.KindResolved:
		// Edit first, reply second: a retry after a failed reply edits the
		// message again, harmlessly, and replies once.
		d, code, err := n.call("chat.update", func(api *slack.Client, _ *http.Client) error {
			_, _, _, err := api.UpdateMessageContext(ctx, channel, ts, message)
			return err
		})
		if err != nil {
			if !messageGone(code) {
				return d, err
			}
			return n.post(ctx, channel, message) // the original is gone: say it anew
		}
		d, err = n.reply(ctx, channel, ts, notif)
		d.Ref = ref
		return d, err
	case ok && notif.Kind == alerting.KindRepeat:
		d, err := n.reply(ctx, channel, ts, notif)
		d.Ref = ref
		return d, err
	}
	return n.post(ctx, n.route(notif), message)
}

// post posts a new message and returns its Ref.
func (n *Notifier) post(ctx context.Context, channel string, message slack.MsgOption) (alerting.Delivery, error) {
	var postedIn, ts string
	d, _, err := n.call("chat.postMessage", func(api *slack.Client, _ *http.Client) error {
		var err error
		postedIn, ts, err = api.PostMessageContext(ctx, channel, message)
		return err
	})
	if err == nil {
		d.Ref = postedIn + ":" + ts // Slack answers with the channel's ID, which chat.update needs
	}
	return d, err
}

// reply answers in the thread of the message channel:ts.
func (n *Notifier) reply(ctx context.Context, channel, ts string, notif alerting.Notification) (alerting.Delivery, error) {
	d, _, err := n.call("chat.postMessage (thread reply)", func(api *slack.Client, _ *http.Client) error {
		_, _, err := api.PostMessageContext(ctx, channel,
			slack.MsgOptionText(replyText(notif), false),
			slack.MsgOptionTS(ts),
			slack.MsgOptionDisableLinkUnfurl(),
			slack.MsgOptionDisableMediaUnfurl(),
		)
		return err
	})
	return d, err
}

// call runs one Slack request through a fresh response recorder and turns a
// failure into a delivery decision, the Slack API error code if any, and a
// scrubbed error.
func (n *Notifier) call(op string, send func(api *slack.Client, hc *http.Client) error) (alerting.Delivery, string, error) {
	base := n.http.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	rec := &recorder{base: base}
	hc := *n.http
	hc.Transport = rec
	api := slack.New(n.token, slack.OptionHTTPClient(&hc), slack.OptionAPIURL(n.apiURL))
	err := send(api, &hc)
	if err == nil {
		return alerting.Delivery{}, "", nil
	}
	retry, after := classify(err, rec.last, n.now())
	return alerting.Delivery{Retry: retry, RetryAfter: after}, apiErrorCode(err), n.failure(op, err, rec.last)
}

// route picks the channel for a new message.
func (n *Notifier) route(notif alerting.Notification) string {
	for _, r := range n.routes {
		if r.matches(notif) {
			return r.Channel
		}
	}
	return n.channel
}

// parseRef splits a "channel:ts" Ref.
func parseRef(ref string) (channel, ts string, ok bool) {
	channel, ts, ok = strings.Cut(ref, ":")
	return channel, ts, ok && channel != "" && ts != ""
}

// messageGone reports whether chat.update failed because the original
// message can no longer be edited.
func messageGone(code string) bool {
	switch code {
	case "message_not_found", "cant_update_message", "edit_window_closed":
		return true
	}
	return false
}
