package statuspage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
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

// Subscriptions lets visitors subscribe a webhook they own to incident
// updates. Subscribing posts a confirmation request to the URL, carrying a
// confirmation link with a secret token; only a confirmed subscriber is
// notified, and each notification is signed (HMAC-SHA256, as alert
// webhooks are) with that token. Requests to subscribers go through the
// probers' address guard: nobody can aim them at Linkwatch's own network.
type Subscriptions struct {
	store   Store
	outbox  Outbox
	client  *http.Client
	pageURL string // …/status
	log     *slog.Logger
	now     func() time.Time
}

// NewSubscriptions returns the subscription endpoints and notifier; client
// must refuse private addresses unless they are allowed.
func NewSubscriptions(store Store, outbox Outbox, client *http.Client, pageURL string, log *slog.Logger) *Subscriptions {
	return &Subscriptions{store: store, outbox: outbox, client: client, pageURL: strings.TrimSuffix(pageURL, "/"), log: log, now: time.Now}
}

// Routes mounts POST /status/subscribe, GET /status/subscribe/confirm and
// GET /status/unsubscribe (public).
func (s *Subscriptions) Routes(r chi.Router) {
	r.Post("/status/subscribe", s.subscribe)
	r.Get("/status/subscribe/confirm", s.confirm)
	r.Get("/status/unsubscribe", s.unsubscribe)
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
	target := r.FormValue("url")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			URL string `json:"url"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil {
			s.reply(w, r, http.StatusBadRequest, "Not subscribed", `The request must be {"url": "https://…"}.`)
			return
		}
		target = body.URL
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(target) > 2000 {
		s.reply(w, r, http.StatusUnprocessableEntity, "Not subscribed", "The webhook must be an absolute http(s) URL.")
		return
	}
	var tok [24]byte
	rand.Read(tok[:])
	sub := &Subscriber{ID: NewID(), URL: target, Token: hex.EncodeToString(tok[:]), CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	if err := s.store.CreateSubscriber(r.Context(), sub); err != nil {
		if linkwatch.ErrorCode(err) == linkwatch.ECONFLICT {
			s.reply(w, r, http.StatusConflict, "Already subscribed", "This webhook is already subscribed, or waiting for its confirmation.")
			return
		}
		s.log.Error("subscribe failed", "err", err)
		s.reply(w, r, http.StatusServiceUnavailable, "Not subscribed", "Please try again later.")
		return
	}
	if err := s.requestConfirmation(r.Context(), sub); err != nil {
		s.store.DeleteSubscriber(context.WithoutCancel(r.Context()), sub.ID)
		s.reply(w, r, http.StatusUnprocessableEntity, "Not subscribed", "Your webhook could not be reached: "+err.Error())
		return
	}
	s.log.Info("status page subscription requested", "subscriber", sub.ID)
	s.reply(w, r, http.StatusAccepted, "Almost there",
		"We sent your webhook a confirmation request. Open its confirm_url to start receiving incident updates.")
}

// requestConfirmation posts the confirmation request: receiving it proves
// the subscriber controls the URL.
func (s *Subscriptions) requestConfirmation(ctx context.Context, sub *Subscriber) error {
	q := url.Values{"id": {sub.ID}, "token": {sub.Token}}
	body, _ := json.Marshal(map[string]string{
		"type": "subscription_confirmation", "subscriber_id": sub.ID, "page": s.pageURL,
		"confirm_url":     s.pageURL + "/subscribe/confirm?" + q.Encode(),
		"unsubscribe_url": s.pageURL + "/unsubscribe?" + q.Encode(),
	})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("bad URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
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

func (s *Subscriptions) confirm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	err := s.store.ConfirmSubscriber(r.Context(), q.Get("id"), q.Get("token"), s.now().UTC())
	switch linkwatch.ErrorCode(err) {
	case "":
		s.reply(w, r, http.StatusOK, "Subscribed", "Your webhook will receive every incident update, signed with your token.")
	case linkwatch.ENOTFOUND, linkwatch.EFORBIDDEN:
		s.reply(w, r, http.StatusNotFound, "Not confirmed", "This confirmation link is not valid.")
	default:
		s.reply(w, r, http.StatusServiceUnavailable, "Not confirmed", "Please try again later.")
	}
}

func (s *Subscriptions) unsubscribe(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sub, err := s.find(r.Context(), q.Get("id"))
	if err != nil || !sameToken(sub.Token, q.Get("token")) {
		s.reply(w, r, http.StatusNotFound, "Not unsubscribed", "This link is not valid.")
		return
	}
	if err := s.store.DeleteSubscriber(r.Context(), sub.ID); err != nil {
		s.reply(w, r, http.StatusServiceUnavailable, "Not unsubscribed", "Please try again later.")
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

// Announce queues an incident's latest update for every confirmed
// subscriber, through the outbox, when the incident is public and the
// update asks to notify.
func (s *Subscriptions) Announce(ctx context.Context, in *Incident) error {
	if s == nil || in.Draft || len(in.Updates) == 0 || !in.Updates[0].Notify {
		return nil
	}
	subs, err := s.store.ListSubscribers(ctx)
	if err != nil {
		return err
	}
	u := in.Updates[0]
	now := s.now()
	var out []alerting.Outgoing
	for _, sub := range subs {
		if sub.ConfirmedAt.IsZero() {
			continue
		}
		kind := alerting.KindFiring
		if in.Resolved() {
			kind = alerting.KindResolved
		}
		n := alerting.Notification{ID: NewID(), DedupeKey: "incident|" + in.ID, Kind: kind, Rule: "incident", Severity: severityOf(in.Impact),
			Summary: in.Name + ": " + u.Status, Since: in.StartedAt, At: now,
			Labels: map[string]string{"subscriber": sub.ID, "incident": in.ID, "status": u.Status, "url": s.pageURL + "/incidents/" + in.ID},
			Alerts: []Alert{{Value: u.Body}}}
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
// receivers "subscriber:<id>"): signed with the subscriber's token, never
// following redirects. A subscriber that unsubscribed meanwhile is skipped.
func (s *Subscriptions) Notify(ctx context.Context, n alerting.Notification, _ string) (alerting.Delivery, error) {
	sub, err := s.find(ctx, n.Labels["subscriber"])
	if linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND {
		return alerting.Delivery{}, nil // unsubscribed: nothing to send
	}
	if err != nil {
		return alerting.Delivery{Retry: true}, err
	}
	hook, err := webhook.New(webhook.Config{Name: "subscriber " + sub.ID, URL: linkwatch.Secret(sub.URL), Secret: linkwatch.Secret(sub.Token), HTTP: s.client})
	if err != nil {
		return alerting.Delivery{}, err
	}
	return hook.Notify(ctx, n, "")
}

func sameToken(a, b string) bool {
	return len(a) > 0 && len(a) == len(b) && subtleEqual(a, b)
}

func subtleEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
