package statuspage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/alerting/webhook"
)

// Outbox is where subscribers' notifications wait for delivery: the alert
// engine's outbox, with its retries and its exactly-once marking.
type Outbox interface {
	Enqueue(ctx context.Context, out []alerting.Outgoing) error
}

// SubscriberReceiver is the outbox receiver family of subscribers:
// "subscriber:<id>".
const SubscriberReceiver = "subscriber"

// Subscriptions lets visitors subscribe a webhook they own, or their email
// address, to incident updates. Subscribing sends a confirmation request
// to the URL or the address, carrying a confirmation link with a secret
// token; only a confirmed subscriber is notified. Webhook notifications are
// signed (HMAC-SHA256, as alert webhooks are) with that token, and requests
// to subscribers go through the probers' address guard: nobody can aim
// them at Linkwatch's own network. Emails go through the configured mail
// server, and only when one is configured.
type Subscriptions struct {
	store  Store
	outbox Outbox
	client *http.Client
	// confirmClient is client, never following redirects.
	confirmClient *http.Client
	mail          *mailer // nil: email subscriptions are off
	pageURL       string  // …/status
	pageName      string
	log           *slog.Logger
	now           func() time.Time
	limit         *limiter // subscription requests
}

// SubscriptionsConfig is what subscriptions need.
type SubscriptionsConfig struct {
	Store  Store
	Outbox Outbox
	// HTTP posts to webhooks: it must refuse private addresses unless they
	// are allowed.
	HTTP     *http.Client
	PageURL  string // …/status
	PageName string // the page's title, in emails
	// SMTP enables email subscriptions when its Addr is set.
	SMTP   SMTPConfig
	Logger *slog.Logger
	// PerAddress and Global limit subscription requests a minute, from
	// one client address (the connection's, never a header's) and in all
	// (defaults 5 and 60). Now is the clock (default time.Now).
	PerAddress, Global int
	Now                func() time.Time
}

// NewSubscriptions returns the subscription endpoints and notifier.
func NewSubscriptions(cfg SubscriptionsConfig) (*Subscriptions, error) {
	s := &Subscriptions{store: cfg.Store, outbox: cfg.Outbox, client: cfg.HTTP, pageURL: strings.TrimSuffix(cfg.PageURL, "/"),
		pageName: cfg.PageName, log: cfg.Logger, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.PerAddress <= 0 {
		cfg.PerAddress = 5
	}
	if cfg.Global <= 0 {
		cfg.Global = 60
	}
	s.limit = newLimiter(cfg.PerAddress, cfg.Global, 10_000)
	if s.client == nil {
		s.client = http.DefaultClient
	}
	// The confirmation request never follows a redirect: the visitor must
	// own the URL they gave, not one it points elsewhere.
	noRedirect := *s.client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.confirmClient = &noRedirect
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.SMTP.Addr != "" {
		m, err := newMailer(cfg.SMTP, cfg.PageName, s.pageURL)
		if err != nil {
			return nil, err
		}
		s.mail = m
	}
	return s, nil
}

// Routes mounts POST /status/subscribe, and GET and POST
// /status/subscribe/confirm and /status/unsubscribe (public). A GET only
// shows a page whose button POSTs: mail scanners that follow every link
// change nothing. POST /status/unsubscribe is also the one-click
// unsubscription mail clients offer (RFC 8058).
func (s *Subscriptions) Routes(r chi.Router) {
	r.Post("/status/subscribe", s.subscribe)
	r.Get("/status/subscribe/confirm", s.ask("Confirm your subscription", "Confirm that you want to receive incident updates.", "Confirm subscription"))
	r.Post("/status/subscribe/confirm", s.confirm)
	r.Get("/status/unsubscribe", s.ask("Unsubscribe", "Stop receiving incident updates?", "Unsubscribe"))
	r.Post("/status/unsubscribe", s.unsubscribe)
}

var askPage = template.Must(template.New("ask").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title></head><body><main><h1>{{.Title}}</h1><p>{{.Text}}</p>
<form method="post" action="{{.Action}}"><button type="submit">{{.Button}}</button></form>
<p><a href="{{.Back}}">Back to the status page</a></p></main></body></html>
`))

// ask answers a GET of a confirmation or unsubscription link with a page
// whose button POSTs the same link: opening the link changes nothing.
func (s *Subscriptions) ask(title, text, button string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer") // the link holds the token
		askPage.Execute(w, map[string]string{"Title": title, "Text": text, "Button": button,
			"Action": r.URL.Path + "?" + r.URL.RawQuery, "Back": s.pageURL})
	}
}

var answer = template.Must(template.New("answer").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title></head><body><main><h1>{{.Title}}</h1><p>{{.Text}}</p><p><a href="{{.Back}}">Back to the status page</a></p></main></body></html>
`))

// reply answers in JSON to API clients and in HTML to browsers (the
// subscribe form works without JavaScript).
func (s *Subscriptions) reply(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		answer.Execute(w, map[string]string{"Title": title, "Text": text, "Back": s.pageURL})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"result": title, "message": text})
}

func (s *Subscriptions) subscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	target, email := r.FormValue("url"), r.FormValue("email")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			URL   string `json:"url"`
			Email string `json:"email"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil {
			s.reply(w, r, http.StatusBadRequest, "Not subscribed", `The request must be {"url": "https://…"} or {"email": "you@example.com"}.`)
			return
		}
		target, email = body.URL, body.Email
	}
	switch {
	case target != "" && email != "":
		s.reply(w, r, http.StatusUnprocessableEntity, "Not subscribed", "Subscribe a webhook URL or an email address, not both.")
		return
	case target == "" && email == "":
		s.reply(w, r, http.StatusUnprocessableEntity, "Not subscribed", "Give a webhook URL (url) or an email address (email).")
		return
	case email != "":
		s.subscribeEmail(w, r, email)
		return
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(target) > 2000 {
		s.reply(w, r, http.StatusUnprocessableEntity, "Not subscribed", "The webhook must be an absolute http(s) URL.")
		return
	}
	if !s.allow(w, r) {
		return
	}
	sub := s.newSubscriber()
	sub.URL = target
	if !s.create(w, r, sub, "This webhook is already subscribed, or waiting for its confirmation.") {
		return
	}
	if err := s.requestConfirmation(r.Context(), sub); err != nil {
		s.store.DeleteSubscriber(context.WithoutCancel(r.Context()), sub.ID)
		// The cause (a refused private address, the resolver's answer)
		// is the operator's: visitors learn nothing of the network.
		s.log.Info("subscription confirmation request failed", "subscriber", sub.ID, "err", err)
		s.reply(w, r, http.StatusUnprocessableEntity, "Not subscribed", "We could not reach that URL.")
		return
	}
	s.log.Info("status page subscription requested", "subscriber", sub.ID, "kind", "webhook")
	s.reply(w, r, http.StatusAccepted, "Almost there",
		"We sent your webhook a confirmation request. POST to its confirm_url to start receiving incident updates.")
}

// subscribeEmail subscribes an address: the confirmation email is sent
// before the answer, so a refused address is said at once.
func (s *Subscriptions) subscribeEmail(w http.ResponseWriter, r *http.Request, email string) {
	if s.mail == nil {
		s.reply(w, r, http.StatusUnprocessableEntity, "Not subscribed",
			"Email subscriptions are not available: this status page has no mail server configured. Subscribe a webhook instead.")
		return
	}
	addr, ok := checkEmail(email)
	if !ok {
		s.reply(w, r, http.StatusUnprocessableEntity, "Not subscribed", "The email address must be a single address, such as you@example.com.")
		return
	}
	if !s.allow(w, r) {
		return
	}
	sub := s.newSubscriber()
	sub.Email = addr
	if !s.create(w, r, sub, "This address is already subscribed, or waiting for its confirmation.") {
		return
	}
	confirmURL, unsubscribeURL := s.links(sub)
	msg := s.mail.confirmationMessage(s.pageName, s.pageURL, sub.Email, confirmURL, unsubscribeURL, s.now())
	if err := s.mail.send(r.Context(), sub.Email, msg.bytes()); err != nil {
		s.store.DeleteSubscriber(context.WithoutCancel(r.Context()), sub.ID)
		s.log.Warn("could not send a subscription confirmation email", "subscriber", sub.ID, "err", err)
		if permanentFailure(err) {
			s.reply(w, r, http.StatusUnprocessableEntity, "Not subscribed", "The mail server refused this address.")
		} else {
			s.reply(w, r, http.StatusServiceUnavailable, "Not subscribed", "Your confirmation email could not be sent. Please try again later.")
		}
		return
	}
	s.log.Info("status page subscription requested", "subscriber", sub.ID, "kind", "email")
	s.reply(w, r, http.StatusAccepted, "Almost there",
		"We sent you an email. Open its confirmation link to start receiving incident updates.")
}

// allow takes a subscription request from the rate limits, or answers 429
// with Retry-After. The client is the connection's address: headers such as
// X-Forwarded-For are the client's to choose.
func (s *Subscriptions) allow(w http.ResponseWriter, r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ok, wait := s.limit.allow(host, s.now())
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	s.reply(w, r, http.StatusTooManyRequests, "Not subscribed", "Too many subscription requests. Please try again later.")
	return false
}

func (s *Subscriptions) newSubscriber() *Subscriber {
	var tok [24]byte
	rand.Read(tok[:])
	return &Subscriber{ID: linkwatch.NewID(), Token: hex.EncodeToString(tok[:]), CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
}

// create stores a new subscriber, or answers why not.
func (s *Subscriptions) create(w http.ResponseWriter, r *http.Request, sub *Subscriber, taken string) bool {
	// Subscriptions never confirmed expire: pruned here, so an expired
	// request neither lingers nor holds its address or URL.
	if n, err := s.store.DeleteUnconfirmedSubscribers(r.Context(), s.now().Add(-ConfirmWithin)); err != nil {
		s.log.Warn("could not prune unconfirmed subscriptions", "err", err)
	} else if n > 0 {
		s.log.Info("pruned expired unconfirmed subscriptions", "count", n)
	}
	err := s.store.CreateSubscriber(r.Context(), sub)
	switch {
	case err == nil:
		return true
	case linkwatch.ErrorCode(err) == linkwatch.ECONFLICT:
		s.reply(w, r, http.StatusConflict, "Already subscribed", taken)
	default:
		s.log.Error("subscribe failed", "err", err)
		s.reply(w, r, http.StatusServiceUnavailable, "Not subscribed", "Please try again later.")
	}
	return false
}

// links are a subscriber's confirmation and unsubscription links.
func (s *Subscriptions) links(sub *Subscriber) (confirm, unsubscribe string) {
	q := url.Values{"id": {sub.ID}, "token": {sub.Token}}
	return s.pageURL + "/subscribe/confirm?" + q.Encode(), s.pageURL + "/unsubscribe?" + q.Encode()
}

// requestConfirmation posts the confirmation request: receiving it proves
// the subscriber controls the URL.
func (s *Subscriptions) requestConfirmation(ctx context.Context, sub *Subscriber) error {
	confirmURL, unsubscribeURL := s.links(sub)
	body, _ := json.Marshal(map[string]string{
		"type": "subscription_confirmation", "subscriber_id": sub.ID, "page": s.pageURL,
		"confirm_url":     confirmURL,
		"unsubscribe_url": unsubscribeURL,
	})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("bad URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.confirmClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may hold a token of theirs: not echoed
		}
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("it answered %d", resp.StatusCode)
	}
	return nil
}

// ConfirmWithin is how long a subscription waits for its confirmation:
// past it, the link is no longer valid and the row is deleted.
const ConfirmWithin = 24 * time.Hour

// byToken is the subscriber a link's token (and, when the link has one, ID)
// names, found by its token: an ENOTFOUND error otherwise.
func (s *Subscriptions) byToken(ctx context.Context, id, token string) (*Subscriber, error) {
	sub, err := s.store.SubscriberByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if id != "" && id != sub.ID {
		return nil, linkwatch.Errorf(linkwatch.ENOTFOUND, "no subscriber %q with this token", id)
	}
	return sub, nil
}

func (s *Subscriptions) confirm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	sub, err := s.byToken(r.Context(), q.Get("id"), q.Get("token"))
	now := s.now().UTC()
	if err == nil && sub.ConfirmedAt.IsZero() && !now.Before(sub.CreatedAt.Add(ConfirmWithin)) {
		s.store.DeleteSubscriber(r.Context(), sub.ID) // expired: as if never asked
		err = linkwatch.Errorf(linkwatch.ENOTFOUND, "the confirmation expired")
	}
	if err == nil {
		err = s.store.ConfirmSubscriber(r.Context(), sub.ID, sub.Token, now)
	}
	switch linkwatch.ErrorCode(err) {
	case "":
		if sub.Email != "" {
			s.reply(w, r, http.StatusOK, "Subscribed", "You will receive every incident update by email.")
			return
		}
		s.reply(w, r, http.StatusOK, "Subscribed", "Your webhook will receive every incident update, signed with your token.")
	case linkwatch.ENOTFOUND, linkwatch.EFORBIDDEN:
		s.reply(w, r, http.StatusNotFound, "Not confirmed", "This confirmation link is not valid.")
	default:
		s.log.Error("confirm failed", "err", err)
		s.reply(w, r, http.StatusServiceUnavailable, "Not confirmed", "Please try again later.")
	}
}

func (s *Subscriptions) unsubscribe(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	sub, err := s.byToken(r.Context(), q.Get("id"), q.Get("token"))
	if linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND {
		s.reply(w, r, http.StatusNotFound, "Not unsubscribed", "This link is not valid.")
		return
	}
	if err == nil {
		err = s.store.DeleteSubscriber(r.Context(), sub.ID)
	}
	if err != nil {
		s.reply(w, r, http.StatusServiceUnavailable, "Not unsubscribed", "Please try again later.")
		return
	}
	if sub.Email != "" {
		s.reply(w, r, http.StatusOK, "Unsubscribed", "You will not receive incident updates by email any more.")
		return
	}
	s.reply(w, r, http.StatusOK, "Unsubscribed", "Your webhook will not receive incident updates any more.")
}

func (s *Subscriptions) find(ctx context.Context, id string) (*Subscriber, error) {
	subs, err := s.store.ListSubscribers(ctx)
	if err != nil {
		return nil, err
	}
	for i := range subs {
		if subs[i].ID == id {
			return &subs[i], nil
		}
	}
	return nil, linkwatch.Errorf(linkwatch.ENOTFOUND, "no subscriber %q", id)
}

// Announce queues an incident's update u for every confirmed subscriber,
// through the outbox, when the incident is public and the update asks to
// notify.
func (s *Subscriptions) Announce(ctx context.Context, in *Incident, u Update) error {
	if s == nil || in.Draft || !u.Notify {
		return nil
	}
	subs, err := s.store.ListSubscribers(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	var out []alerting.Outgoing
	for _, sub := range subs {
		if sub.ConfirmedAt.IsZero() || sub.Email != "" && s.mail == nil {
			continue
		}
		kind := alerting.KindFiring
		if in.Resolved() {
			kind = alerting.KindResolved
		}
		// The ID is the update's and the subscriber's: were an update
		// queued twice (a crash before it is marked announced), both
		// copies carry one ID (and one Message-ID) to deduplicate on.
		n := alerting.Notification{ID: u.ID + "-" + sub.ID, DedupeKey: "incident|" + in.ID, Kind: kind, Rule: "incident", Severity: severityOf(in.Impact),
			Summary: in.Name + ": " + u.Status, Since: in.StartedAt, At: now,
			Labels: map[string]string{"subscriber": sub.ID, "incident": in.ID, "status": u.Status, "url": s.pageURL + "/incidents/" + in.ID},
			Alerts: []Alert{{Value: u.Body}}}
		if sub.Email != "" {
			n.Labels["incident_name"] = in.Name // the subject's; webhooks have the summary
		}
		out = append(out, alerting.Outgoing{Receiver: SubscriberReceiver + ":" + sub.ID, Notification: n, NotBefore: now, CreatedAt: now})
	}
	return s.outbox.Enqueue(ctx, out)
}

// Alert is alerting.Alert, named here for the incident's text.
type Alert = alerting.Alert

func severityOf(impact string) string {
	switch impact {
	case ImpactCritical, ImpactMajor:
		return alerting.SeverityCritical
	case ImpactMinor:
		return alerting.SeverityWarning
	}
	return alerting.SeverityInfo
}

// Notify delivers a subscriber's notification (the deliverer calls it for
// receivers "subscriber:<id>"): to a webhook, signed with the subscriber's
// token, never following redirects; to an address, as an email through the
// mail server (a 4xx answer or a network error is retried, a 5xx one is
// not). A subscriber that unsubscribed meanwhile is skipped.
func (s *Subscriptions) Notify(ctx context.Context, n alerting.Notification, _ string) (alerting.Delivery, error) {
	sub, err := s.find(ctx, n.Labels["subscriber"])
	if linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND {
		return alerting.Delivery{}, nil // unsubscribed: nothing to send
	}
	if err != nil {
		return alerting.Delivery{Retry: true}, err
	}
	if sub.Email != "" {
		return s.notifyEmail(ctx, sub, n)
	}
	hook, err := webhook.New(webhook.Config{Name: "subscriber " + sub.ID, URL: linkwatch.Secret(sub.URL), Secret: linkwatch.Secret(sub.Token), HTTP: s.client})
	if err != nil {
		return alerting.Delivery{}, err
	}
	return hook.Notify(ctx, n, "")
}

func (s *Subscriptions) notifyEmail(ctx context.Context, sub *Subscriber, n alerting.Notification) (alerting.Delivery, error) {
	if s.mail == nil {
		return alerting.Delivery{}, errors.New("email subscriptions are off: no mail server is configured")
	}
	name := n.Labels["incident_name"]
	if name == "" {
		name = n.Summary
	}
	body := ""
	if len(n.Alerts) > 0 {
		body = n.Alerts[0].Value
	}
	_, unsubscribeURL := s.links(sub)
	msg := s.mail.updateMessage(updateEmail{Page: s.pageName, PageURL: s.pageURL, Name: name,
		Status: incidentStatusText(n.Labels["status"]), Body: body,
		IncidentURL: s.pageURL + "/incidents/" + url.PathEscape(n.Labels["incident"]),
		Unsubscribe: unsubscribeURL, To: sub.Email, ID: n.ID, At: s.now()})
	if err := s.mail.send(ctx, sub.Email, msg.bytes()); err != nil {
		return alerting.Delivery{Retry: !permanentFailure(err)}, err
	}
	return alerting.Delivery{}, nil
}
