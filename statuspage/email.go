package statuspage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// How the connection to the mail server is encrypted (SMTPConfig.TLS).
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587); required, never skipped
	SMTPTLS      = "tls"      // TLS from the first byte (port 465)
	SMTPNoTLS    = "none"     // no encryption: local relays only
)

// SMTPConfig is the mail server email subscriptions are sent through.
type SMTPConfig struct {
	Addr string // host:port; empty: email subscriptions are off
	// From is the sender: an address, optionally with a display name (the
	// page's name when it has none).
	From string
	// Username and Password authenticate with PLAIN when Username is set;
	// net/smtp refuses to send them unencrypted except to localhost.
	Username string
	Password linkwatch.Secret
	TLS      string        // SMTPStartTLS (default), SMTPTLS or SMTPNoTLS
	Timeout  time.Duration // one send, from dialing to the end of DATA (default 30s)
	// TLSConfig, when set, is cloned for the connection (tests: RootCAs);
	// ServerName defaults to Addr's host.
	TLSConfig *tls.Config
}

// mailer sends one message per connection to the configured server.
type mailer struct {
	cfg  SMTPConfig
	host string       // Addr's host: TLS server name, PLAIN auth's server
	from mail.Address // header From; the envelope sender is from.Address
	helo string       // the name we greet the server with
}

func newMailer(cfg SMTPConfig, pageName, pageURL string) (*mailer, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("smtp: the server address must be host:port; got %q", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil || strings.ContainsAny(cfg.From, "\r\n") {
		return nil, fmt.Errorf("smtp: the sender must be an email address; got %q", cfg.From)
	}
	if from.Name == "" {
		from.Name = headerText(pageName)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = SMTPStartTLS
	case SMTPStartTLS, SMTPTLS, SMTPNoTLS:
	default:
		return nil, fmt.Errorf("smtp: TLS must be %s, %s or %s; got %q", SMTPStartTLS, SMTPTLS, SMTPNoTLS, cfg.TLS)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	helo := "localhost"
	if u, err := url.Parse(pageURL); err == nil && u.Hostname() != "" {
		helo = u.Hostname()
		if ip := net.ParseIP(helo); ip != nil {
			helo = "[" + ip.String() + "]"
		}
	}
	return &mailer{cfg: cfg, host: host, from: *from, helo: helo}, nil
}

// sendError is a failed send. Permanent failures (the server answered
// 5xx) are not worth retrying; everything else — 4xx answers, network and
// TLS errors, timeouts — may pass.
//
// Its message is scrubbed of the SMTP password (a server may echo the AUTH
// exchange); it unwraps only to context errors, which hold no secret.
type sendError struct {
	err       error
	permanent bool
}

func (e *sendError) Error() string { return "smtp: " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// scrubbed returns err with the password and the PLAIN credentials holding
// it removed from its message, before it reaches logs or last_error.
func (m *mailer) scrubbed(err error) error {
	var se *sendError
	if !errors.As(err, &se) {
		return err
	}
	pw := m.cfg.Password.Reveal()
	sc := alerting.Scrubber{}.With(pw, "\x00"+m.cfg.Username+"\x00"+pw)
	var cause error
	switch {
	case errors.Is(se.err, context.Canceled):
		cause = context.Canceled
	case errors.Is(se.err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	}
	return &sendError{err: &scrubbedError{msg: sc.Scrub(se.err.Error()), cause: cause}, permanent: se.permanent}
}

// scrubbedError is a message with its secrets removed; it does not wrap the
// original error, whose message holds them.
type scrubbedError struct {
	msg   string
	cause error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.cause }

// permanentFailure reports whether err is a send the server refused for
// good (a 5xx reply).
func permanentFailure(err error) bool {
	var se *sendError
	return errors.As(err, &se) && se.permanent
}

func classify(err error) error {
	if err == nil {
		return nil
	}
	var tp *textproto.Error
	return &sendError{err: err, permanent: errors.As(err, &tp) && !alerting.RetryableSMTPReply(tp.Code)}
}

// send delivers msg to one recipient: dial (bounded by ctx and the
// timeout), TLS as configured, PLAIN auth when a user name is set, MAIL,
// RCPT, DATA. Once the server accepted the data the message is sent,
// whatever QUIT answers.
func (m *mailer) send(ctx context.Context, to string, msg []byte) error {
	return m.scrubbed(m.sendOnce(ctx, to, msg))
}

func (m *mailer) sendOnce(ctx context.Context, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return classify(err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) }) // cancelled: unblock at once
	defer stop()

	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.cfg.TLSConfig != nil {
		tlsConfig = m.cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = m.host
	}
	if m.cfg.TLS == SMTPTLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return classify(err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return classify(err)
	}
	defer c.Close()
	if err := c.Hello(m.helo); err != nil {
		return classify(err)
	}
	if m.cfg.TLS == SMTPStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return classify(errors.New("the server does not offer STARTTLS (smtp_tls is starttls)"))
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return classify(err)
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password.Reveal(), m.host)); err != nil {
			return classify(err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return classify(err)
	}
	if err := c.Rcpt(to); err != nil {
		return classify(err)
	}
	w, err := c.Data()
	if err != nil {
		return classify(err)
	}
	if _, err := w.Write(msg); err != nil {
		return classify(err)
	}
	if err := w.Close(); err != nil { // the server's answer to the data
		return classify(err)
	}
	c.Quit() // sent: a failing QUIT changes nothing
	return nil
}

// checkEmail validates a subscriber's address: one bare address (no
// display name, comment or group), at most 254 characters, with a domain
// name (no address literal). The domain is lower-cased.
func checkEmail(s string) (string, bool) {
	if len(s) > 254 || s == "" {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 {
		return "", false
	}
	local, domain := s[:at], s[at+1:]
	if strings.ContainsAny(s, " \t\r\n<>()[],;:\\\"") || strings.HasPrefix(domain, ".") || !strings.Contains(domain, ".") {
		return "", false
	}
	return local + "@" + strings.ToLower(domain), true
}

// message is an email: plain text, with an HTML alternative when HTML is
// set. Header values are user text (incident names): headerText removes
// line breaks, so nothing can add a header.
type message struct {
	From      mail.Address
	To        string
	Subject   string
	MessageID string // without the angle brackets
	Date      time.Time
	Headers   [][2]string // more headers, in order
	Text      string
	HTML      string
}

// oneLine makes s safe for a header: control characters (CR and LF above
// all) become spaces, and runs of spaces one.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// headerText is user text made one line (see oneLine), cut to 200
// characters.
func headerText(s string) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:199]) + "…"
	}
	return s
}

// writeHeader writes one header, its value made one line (oneLine),
// encoded (RFC 2047) when it is not plain ASCII, and folded at spaces to
// keep lines short (an encoded word is at most 75 characters).
func writeHeader(b *bytes.Buffer, name, value string) {
	value = oneLine(value)
	for i := 0; i < len(value); i++ {
		if value[i] >= 0x80 {
			value = mime.QEncoding.Encode("utf-8", value)
			break
		}
	}
	line := name + ":"
	for _, word := range strings.Split(value, " ") {
		if len(line)+1+len(word) > 76 && line != name+":" {
			b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + word
	}
	b.WriteString(line + "\r\n")
}

// bytes renders the message, CRLF line ends, bodies quoted-printable.
func (m *message) bytes() []byte {
	var b bytes.Buffer
	writeHeader(&b, "From", m.From.String())
	writeHeader(&b, "To", m.To)
	writeHeader(&b, "Subject", m.Subject)
	writeHeader(&b, "Date", m.Date.Format(time.RFC1123Z))
	writeHeader(&b, "Message-ID", "<"+m.MessageID+">")
	writeHeader(&b, "Auto-Submitted", "auto-generated")
	for _, h := range m.Headers {
		writeHeader(&b, h[0], h[1])
	}
	writeHeader(&b, "MIME-Version", "1.0")
	if m.HTML == "" {
		writePart(&b, "text/plain", m.Text)
		return b.Bytes()
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	boundary := "linkwatch-" + hex.EncodeToString(rnd[:])
	writeHeader(&b, "Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, p := range [][2]string{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		b.WriteString("--" + boundary + "\r\n")
		writePart(&b, p[0], p[1])
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes()
}

// writePart writes a body part's headers and its quoted-printable body.
func writePart(b *bytes.Buffer, contentType, body string) {
	b.WriteString("Content-Type: " + contentType + "; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n")
	w := quotedprintable.NewWriter(b) // text mode: line ends become CRLF
	w.Write([]byte(body))
	w.Close()
	b.WriteString("\r\n")
}

// messageID is a Message-ID for id at the sender's domain; a retried
// notification keeps its ID, so receivers can tell a duplicate.
func (m *mailer) messageID(id string) string {
	domain := m.from.Address[strings.LastIndexByte(m.from.Address, '@')+1:]
	return id + "@" + domain
}

// unsubscribeHeaders are the List-Unsubscribe headers (RFC 2369, and RFC
// 8058 one-click: mail clients POST to the link).
func unsubscribeHeaders(unsubscribeURL string) [][2]string {
	return [][2]string{{"List-Unsubscribe", "<" + unsubscribeURL + ">"}, {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}}
}

// confirmationMessage asks the address's owner to confirm.
func (m *mailer) confirmationMessage(pageName, pageURL, to, confirmURL, unsubscribeURL string, now time.Time) *message {
	pageName = headerText(pageName)
	var text strings.Builder
	fmt.Fprintf(&text, "Someone, probably you, asked to receive incident updates from %s (%s) at %s.\n\n", pageName, pageURL, to)
	fmt.Fprintf(&text, "Confirm your subscription:\n%s\n\n", confirmURL)
	fmt.Fprintf(&text, "If you did not ask for it, ignore this email: nothing will be sent to you.\n")
	fmt.Fprintf(&text, "Cancel the request: %s\n", unsubscribeURL)
	var html bytes.Buffer
	confirmHTML.Execute(&html, map[string]string{"Page": pageName, "PageURL": pageURL, "To": to,
		"Confirm": confirmURL, "Unsubscribe": unsubscribeURL})
	return &message{From: m.from, To: to, Subject: "Confirm your subscription to " + pageName,
		MessageID: m.messageID(linkwatch.NewID()), Date: now, Headers: unsubscribeHeaders(unsubscribeURL),
		Text: text.String(), HTML: html.String()}
}

// updateEmail is what an incident update email says.
type updateEmail struct {
	Page, PageURL string
	Name          string // the incident's
	Status        string // in words
	Body          string // the update's text
	IncidentURL   string
	Unsubscribe   string
	To            string
	ID            string // the notification's, for the Message-ID
	At            time.Time
}

// updateMessage is an incident update as an email.
func (m *mailer) updateMessage(u updateEmail) *message {
	u.Page, u.Name, u.Body = headerText(u.Page), headerText(u.Name), cleanText(u.Body)
	var text strings.Builder
	fmt.Fprintf(&text, "%s\n\n", u.Name)
	fmt.Fprintf(&text, "Status: %s\n\n", u.Status)
	if u.Body != "" {
		fmt.Fprintf(&text, "%s\n\n", u.Body)
	}
	fmt.Fprintf(&text, "Follow the incident: %s\n\n", u.IncidentURL)
	fmt.Fprintf(&text, "-- \nYou receive this email because %s subscribed to incident updates from %s (%s).\n", u.To, u.Page, u.PageURL)
	fmt.Fprintf(&text, "Unsubscribe: %s\n", u.Unsubscribe)
	var html bytes.Buffer
	updateHTML.Execute(&html, u)
	return &message{From: m.from, To: u.To, Subject: "[" + u.Page + "] " + u.Name + ": " + u.Status,
		MessageID: m.messageID(u.ID), Date: u.At, Headers: unsubscribeHeaders(u.Unsubscribe),
		Text: text.String(), HTML: html.String()}
}

var confirmHTML = template.Must(template.New("confirm").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Confirm your subscription</title></head>
<body style="font-family:sans-serif;line-height:1.5">
<p>Someone, probably you, asked to receive incident updates from <a href="{{.PageURL}}">{{.Page}}</a> at {{.To}}.</p>
<p><a href="{{.Confirm}}" style="font-weight:bold">Confirm your subscription</a></p>
<p style="color:#666">If you did not ask for it, ignore this email: nothing will be sent to you. <a href="{{.Unsubscribe}}">Cancel the request</a>.</p>
</body></html>
`))

var updateHTML = template.Must(template.New("update").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Name}}</title></head>
<body style="font-family:sans-serif;line-height:1.5">
<h1 style="font-size:1.3em">{{.Name}}</h1>
<p><strong>{{.Status}}</strong></p>
{{if .Body}}<p style="white-space:pre-wrap">{{.Body}}</p>{{end}}
<p><a href="{{.IncidentURL}}">Follow the incident on {{.Page}}</a></p>
<hr>
<p style="color:#666;font-size:.9em">You receive this email because {{.To}} subscribed to incident updates from <a href="{{.PageURL}}">{{.Page}}</a>. <a href="{{.Unsubscribe}}">Unsubscribe</a>.</p>
</body></html>
`))
