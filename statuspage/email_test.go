package statuspage

import (
	"bufio"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/alerting"
)

func testMailer(t *testing.T, addr string) *mailer {
	t.Helper()
	m, err := newMailer(SMTPConfig{Addr: addr, From: "status@acme.example", TLS: SMTPNoTLS, Timeout: 5 * time.Second},
		"Acme status", "https://acme.example/status")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readMail parses a rendered message and returns its headers and its parts
// by media type, decoded.
func readMail(t *testing.T, raw []byte) (mail.Header, map[string]string) {
	t.Helper()
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 90 {
			t.Errorf("line %d is %d characters long: %q", i, len(line), line)
		}
	}
	if strings.Contains(strings.ReplaceAll(string(raw), "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(string(raw), "\r\n", ""), "\r") {
		t.Errorf("a bare CR or LF in the message:\n%q", raw)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("not a message: %v\n%s", err, raw)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			t.Fatal(err)
		}
		mediaType, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[mediaType] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	return m.Header, parts
}

func TestUpdateMessage(t *testing.T) {
	m := testMailer(t, "127.0.0.1:25")
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	msg := m.updateMessage(updateEmail{Page: "Acme\r\nstatus", PageURL: "https://acme.example/status",
		Name:   "Checkout down\r\nBcc: victim@example.com\n\nforged <script>alert(1)</script>",
		Status: "Investigating", Body: "Payments fail <b>now</b>\r\nsecond line",
		IncidentURL: "https://acme.example/status/incidents/abc", Unsubscribe: "https://acme.example/status/unsubscribe?id=s&token=t",
		To: "reader@example.com", ID: "n1", At: at})
	h, parts := readMail(t, msg.bytes())
	if len(h["Bcc"]) != 0 {
		t.Fatalf("the incident name added a header: %v", h)
	}
	for k, want := range map[string]string{
		"Subject":               "[Acme status] Checkout down Bcc: victim@example.com forged <script>alert(1)</script>: Investigating",
		"To":                    "reader@example.com",
		"From":                  `"Acme status" <status@acme.example>`,
		"Message-Id":            "<n1@acme.example>",
		"Date":                  "Fri, 01 Mar 2024 12:00:00 +0000",
		"List-Unsubscribe":      "<https://acme.example/status/unsubscribe?id=s&token=t>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Auto-Submitted":        "auto-generated",
		"Mime-Version":          "1.0",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	text := parts["text/plain"]
	for _, want := range []string{"Checkout down Bcc: victim@example.com forged", "Status: Investigating",
		"Payments fail <b>now</b>\nsecond line", "https://acme.example/status/incidents/abc",
		"Unsubscribe: https://acme.example/status/unsubscribe?id=s&token=t"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}
	html := parts["text/html"]
	if strings.Contains(html, "<script>") || strings.Contains(html, "<b>now") ||
		!strings.Contains(html, "Payments fail &lt;b&gt;now&lt;/b&gt;") ||
		!strings.Contains(html, `href="https://acme.example/status/unsubscribe?id=s&amp;token=t"`) {
		t.Errorf("the HTML is not escaped:\n%s", html)
	}
}

func TestHeaderEncoding(t *testing.T) {
	long := strings.Repeat("Zahlungsdienst ausgefallen – ", 20)
	m := testMailer(t, "127.0.0.1:25")
	msg := m.updateMessage(updateEmail{Page: "Acme", Name: long + "\r\nX-Evil: 1", Status: "Identified", To: "a@example.com", ID: "n2"})
	h, _ := readMail(t, msg.bytes())
	subj, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if len(h["X-Evil"]) != 0 || !strings.HasPrefix(subj, "[Acme] Zahlungsdienst ausgefallen – Zahlungsdienst") ||
		!strings.HasSuffix(subj, "…: Identified") {
		t.Errorf("Subject %q (headers %v)", subj, h)
	}
}

func TestConfirmationMessage(t *testing.T) {
	m := testMailer(t, "127.0.0.1:25")
	msg := m.confirmationMessage("Acme status", "https://acme.example/status", "reader@example.com",
		"https://acme.example/status/subscribe/confirm?id=s&token=t", "https://acme.example/status/unsubscribe?id=s&token=t", time.Now())
	h, parts := readMail(t, msg.bytes())
	if h.Get("Subject") != "Confirm your subscription to Acme status" ||
		!strings.Contains(parts["text/plain"], "https://acme.example/status/subscribe/confirm?id=s&token=t") ||
		!strings.Contains(parts["text/html"], `href="https://acme.example/status/subscribe/confirm?id=s&amp;token=t"`) {
		t.Errorf("confirmation: %v\n%s\n%s", h, parts["text/plain"], parts["text/html"])
	}
}

func TestCheckEmail(t *testing.T) {
	for in, want := range map[string]string{
		"reader@example.com":                      "reader@example.com",
		"Reader+x@Example.COM":                    "Reader+x@example.com",
		"a.b-c@mail.example.org":                  "a.b-c@mail.example.org",
		`"Eve" <eve@example.com>`:                 "",
		"<eve@example.com>":                       "",
		"eve@example.com (comment)":               "",
		" eve@example.com":                        "",
		"a@example.com, b@example.com":            "",
		"eve@example.com\r\nBcc: x@example.com":   "",
		`"a b"@example.com`:                       "",
		"eve@[127.0.0.1]":                         "",
		"eve@localhost":                           "",
		"eve":                                     "",
		"":                                        "",
		strings.Repeat("a", 243) + "@example.com": "",
	} {
		got, ok := checkEmail(in)
		if got != want || ok != (want != "") {
			t.Errorf("checkEmail(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// scriptedSMTP answers each command with reply(command), or the usual
// success; it reads DATA's content before answering it.
func scriptedSMTP(t *testing.T, reply func(cmd string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				r, w := textproto.NewReader(bufio.NewReader(conn)), textproto.NewWriter(bufio.NewWriter(conn))
				w.PrintfLine("220 scripted")
				for {
					line, err := r.ReadLine()
					if err != nil {
						return
					}
					verb, _, _ := strings.Cut(line, " ")
					verb = strings.ToUpper(verb)
					if verb == "DATA" {
						w.PrintfLine("354 go ahead")
						io.Copy(io.Discard, r.DotReader())
						verb = "DATA-END"
					}
					answer := reply(verb)
					if answer == "" {
						answer = map[string]string{"EHLO": "250-scripted\r\n250 8BITMIME", "QUIT": "221 bye"}[verb]
					}
					if answer == "" {
						answer = "250 OK"
					}
					w.PrintfLine("%s", answer)
					if verb == "QUIT" {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestSendFailures(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		reply     func(string) string
		tls       string
		ok        bool
		permanent bool
	}{
		{"accepted", func(string) string { return "" }, SMTPNoTLS, true, false},
		{"a failing QUIT after the data", func(c string) string {
			if c == "QUIT" {
				return "421 closing"
			}
			return ""
		}, SMTPNoTLS, true, false},
		{"451 after the data", func(c string) string {
			if c == "DATA-END" {
				return "451 4.3.0 try again"
			}
			return ""
		}, SMTPNoTLS, false, false},
		{"550 to the recipient", func(c string) string {
			if c == "RCPT" {
				return "550 5.1.1 no such user"
			}
			return ""
		}, SMTPNoTLS, false, true},
		{"554 greeting refused", func(c string) string {
			if c == "EHLO" || c == "HELO" {
				return "554 go away"
			}
			return ""
		}, SMTPNoTLS, false, true},
		{"no STARTTLS offered", func(string) string { return "" }, SMTPStartTLS, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testMailer(t, scriptedSMTP(t, tc.reply))
			m.cfg.TLS = tc.tls
			err := m.send(ctx, "reader@example.com", []byte("Subject: x\r\n\r\nhi\r\n"))
			if (err == nil) != tc.ok || permanentFailure(err) != tc.permanent {
				t.Errorf("send: %v (permanent %v), want ok %v, permanent %v", err, permanentFailure(err), tc.ok, tc.permanent)
			}
		})
	}
	// Nothing listens: a network error, retried.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if err := testMailer(t, addr).send(ctx, "reader@example.com", []byte("x")); err == nil || permanentFailure(err) {
		t.Errorf("send to a closed port: %v, want a temporary failure", err)
	}
	// A server that never answers: the timeout ends the send.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	m := testMailer(t, silent.Addr().String())
	m.cfg.Timeout = 200 * time.Millisecond
	start := time.Now()
	if err := m.send(ctx, "reader@example.com", []byte("x")); err == nil || permanentFailure(err) || time.Since(start) > 5*time.Second {
		t.Errorf("send to a silent server: %v after %v", err, time.Since(start))
	}
}

func TestNewMailerRefusesPasswordInTheClear(t *testing.T) {
	m, err := newMailer(SMTPConfig{Addr: "smtp.example.com:25", From: "status@acme.example", Username: "u", Password: "hunter2-password",
		TLS: SMTPNoTLS, Timeout: time.Second}, "Acme", "https://acme.example/status")
	if err != nil {
		t.Fatal(err)
	}
	addr := scriptedSMTP(t, func(c string) string {
		if c == "EHLO" {
			return "250-scripted\r\n250 AUTH PLAIN"
		}
		return ""
	})
	m.cfg.Addr = addr // a non-local name for auth, a local listener
	err = m.send(context.Background(), "reader@example.com", []byte("x"))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("PLAIN auth without TLS to %s: %v", m.host, err)
	}
}

// notifyStore is a Store holding subscribers only.
type notifyStore struct {
	Store
	subs []Subscriber
}

func (s *notifyStore) ListSubscribers(context.Context) ([]Subscriber, error) { return s.subs, nil }

type captureOutbox struct{ out []alerting.Outgoing }

func (o *captureOutbox) Enqueue(_ context.Context, out []alerting.Outgoing) error {
	o.out = append(o.out, out...)
	return nil
}

// TestNotifyEmail: Announce queues email subscribers (only with a mail
// server), and Notify mails them, retrying a 4xx and not a 5xx.
func TestNotifyEmail(t *testing.T) {
	var failWith string
	addr := scriptedSMTP(t, func(c string) string {
		if c == "DATA-END" {
			return failWith
		}
		return ""
	})
	confirmed := time.Now()
	store := &notifyStore{subs: []Subscriber{
		{ID: "m1", Email: "reader@example.com", Token: "t1", ConfirmedAt: confirmed},
		{ID: "m2", Email: "pending@example.com", Token: "t2"},
	}}
	in := &Incident{ID: "inc", Name: "Checkout down", Status: Investigating, Impact: ImpactMajor,
		Updates: []Update{{Status: Investigating, Body: "Looking", Notify: true}}}

	off := &captureOutbox{}
	subs, err := NewSubscriptions(SubscriptionsConfig{Store: store, Outbox: off, PageURL: "https://acme.example/status", PageName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	subs.Announce(context.Background(), in, in.Updates[0])
	if len(off.out) != 0 {
		t.Errorf("without a mail server, %d notifications queued for email subscribers", len(off.out))
	}

	box := &captureOutbox{}
	subs, err = NewSubscriptions(SubscriptionsConfig{Store: store, Outbox: box, PageURL: "https://acme.example/status", PageName: "Acme",
		SMTP: SMTPConfig{Addr: addr, From: "status@acme.example", TLS: SMTPNoTLS}})
	if err != nil {
		t.Fatal(err)
	}
	if err := subs.Announce(context.Background(), in, in.Updates[0]); err != nil {
		t.Fatal(err)
	}
	if len(box.out) != 1 || box.out[0].Receiver != "subscriber:m1" {
		t.Fatalf("queued %+v, want one notification for m1", box.out)
	}
	n := box.out[0].Notification
	for _, tc := range []struct {
		fail      string
		ok, retry bool
	}{{"", true, false}, {"451 4.3.0 later", false, true}, {"552 5.3.4 too big", false, false}} {
		failWith = tc.fail
		d, err := subs.Notify(context.Background(), n, "")
		if (err == nil) != tc.ok || d.Retry != tc.retry {
			t.Errorf("Notify with DATA answered %q: %+v, %v; want ok %v, retry %v", tc.fail, d, err, tc.ok, tc.retry)
		}
	}
}
