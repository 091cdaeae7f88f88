package main

import (
	"bufio"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// fakeSMTP is a local SMTP listener speaking just enough SMTP for net/smtp
// (220, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH). It
// records the messages it accepted, can answer 451 to the next DATA, and
// 550 to the recipients it is told to refuse.
type fakeSMTP struct {
	addr string
	ln   net.Listener
	wg   sync.WaitGroup

	mu       sync.Mutex
	msgs     []smtpMessage
	tempFail int             // DATA answers 451 while > 0
	refuse   map[string]bool // RCPT TO answers 550
	rcpts    map[string]int  // RCPT TO attempts per recipient
	datas    int             // DATA commands, accepted or not
}

type smtpMessage struct {
	From string
	To   []string
	Data string // as received, dots unstuffed, CRLF line ends
}

func startSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{addr: ln.Addr().String(), ln: ln, refuse: map[string]bool{}, rcpts: map[string]int{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				s.serve(conn)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// FailNext makes the next n DATA commands answer 451 (after the data).
func (s *fakeSMTP) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tempFail = n
}

// Refuse makes RCPT TO:<addr> answer 550.
func (s *fakeSMTP) Refuse(addr string, refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[addr] = refuse
}

// Messages returns the accepted messages to addr, in order.
func (s *fakeSMTP) Messages(addr string) []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []smtpMessage
	for _, m := range s.msgs {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

// Attempts returns the RCPT TO commands naming addr and all DATA commands.
func (s *fakeSMTP) Attempts(addr string) (rcpts, datas int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcpts[addr], s.datas
}

func (s *fakeSMTP) serve(conn net.Conn) {
	r := textproto.NewReader(bufio.NewReader(conn))
	w := textproto.NewWriter(bufio.NewWriter(conn))
	reply := func(lines ...string) bool { return w.PrintfLine("%s", strings.Join(lines, "\r\n")) == nil }
	if !reply("220 fake.test ESMTP") {
		return
	}
	var cur smtpMessage
	for {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			reply("250-fake.test greets "+arg, "250-8BITMIME", "250 PIPELINING")
		case "HELO":
			reply("250 fake.test")
		case "MAIL":
			cur = smtpMessage{From: smtpPath(arg)}
			reply("250 2.1.0 OK")
		case "RCPT":
			to := smtpPath(arg)
			s.mu.Lock()
			s.rcpts[to]++
			refused := s.refuse[to]
			s.mu.Unlock()
			if refused {
				reply("550 5.1.1 <" + to + ">: no such user")
				continue
			}
			cur.To = append(cur.To, to)
			reply("250 2.1.5 OK")
		case "DATA":
			if len(cur.To) == 0 {
				reply("554 5.5.1 no valid recipients")
				continue
			}
			reply("354 go ahead")
			b, err := io.ReadAll(r.DotReader())
			if err != nil {
				return
			}
			cur.Data = strings.ReplaceAll(string(b), "\n", "\r\n") // DotReader turns CRLF into LF
			s.mu.Lock()
			s.datas++
			fail := s.tempFail > 0
			if fail {
				s.tempFail--
			} else {
				s.msgs = append(s.msgs, cur)
			}
			s.mu.Unlock()
			if fail {
				reply("451 4.3.0 try again later")
			} else {
				reply("250 2.0.0 queued")
			}
			cur = smtpMessage{}
		case "RSET":
			cur = smtpMessage{}
			reply("250 OK")
		case "NOOP":
			reply("250 OK")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 5.5.2 command not implemented")
		}
	}
}

// smtpPath is the address of "FROM:<a@b> BODY=8BITMIME" or "TO:<a@b>".
func smtpPath(arg string) string {
	_, a, _ := strings.Cut(arg, "<")
	a, _, _ = strings.Cut(a, ">")
	return a
}

// parseMail reads a received message: its headers and its text/plain
// body, decoded.
func parseMail(t *testing.T, data string) (mail.Header, string) {
	t.Helper()
	return parsePart(t, data, "text/plain")
}

// parsePart reads a received message: its headers and its body of type
// want (or its only body), decoded.
func parsePart(t *testing.T, data, want string) (mail.Header, string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("not a message: %v\n%s", err, data)
	}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		return m.Header, decodePart(t, m.Header.Get("Content-Transfer-Encoding"), m.Body)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			t.Fatalf("no %s part: %v\n%s", want, err, data)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), want) {
			return m.Header, decodePart(t, p.Header.Get("Content-Transfer-Encoding"), p)
		}
	}
}

func decodePart(t *testing.T, encoding string, r io.Reader) string {
	t.Helper()
	if strings.EqualFold(encoding, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}
