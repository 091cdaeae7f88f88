package prober

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch"
)

// maxErrorLen keeps a result's error text within what the control plane
// accepts (WireResult.Validate), whatever a hostile destination answers.
const maxErrorLen = 1024

// destination runs step 2 from rawURL: it follows redirects by hand, one
// recorded hop at a time, and checks the final response against e.
//
// It follows linkwatch.MaxHops redirects from rawURL, as browsers do; a
// link's own short-link redirect is not one of them. A result so holds at
// most linkwatch.MaxResultHops hops: the short link's, MaxHops redirects and
// the final response (or the redirect too many). A redirect whose status e
// accepts ends the chain, so a monitor may expect a 301 itself.
func (c *Checker) destination(r *run, rawURL string, e linkwatch.Expectation) {
	const step = linkwatch.StepDestination
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(step, linkwatch.ClassHTTPStatus, fmt.Sprintf("%s is not an absolute http or https URL", clip(redact(rawURL), linkwatch.MaxURLLen)))
		return
	}
	var seen []string // a chain is short: a slice beats a map
	redirects := 0
	u.Fragment, u.RawFragment = "", ""
	for {
		seen = append(seen, u.String())
		tr := new(tracer)
		hopStart := time.Now()
		resp, err := c.get(r.ctx, u, tr)
		hop := linkwatch.Hop{URL: clip(u.Redacted(), linkwatch.MaxURLLen), Duration: time.Since(hopStart)}
		r.res.Hops = append(r.res.Hops, hop)
		r.res.FinalURL = hop.URL
		if err != nil {
			r.res.Phases, r.res.Status = tr.phases(), 0
			r.failRequest(step, u, err)
			return
		}
		r.res.Hops[len(r.res.Hops)-1].Status = resp.StatusCode
		r.res.Status = resp.StatusCode

		next, redirect, why := nextURL(u, resp)
		if redirect && !e.Accepts(resp.StatusCode) {
			drain(resp.Body)
			r.res.Phases = tr.phases()
			switch {
			case why != "":
				r.fail(step, linkwatch.ClassHTTPStatus, fmt.Sprintf("%s answered %d with %s", hop.URL, resp.StatusCode, why))
				return
			case contains(seen, next.String()):
				r.fail(step, linkwatch.ClassTooManyRedirects,
					fmt.Sprintf("redirect loop: %s redirects back to %s", hop.URL, clip(next.Redacted(), linkwatch.MaxURLLen)))
				return
			case redirects == linkwatch.MaxHops:
				r.fail(step, linkwatch.ClassTooManyRedirects,
					fmt.Sprintf("more than %d redirects: %s redirects on to %s", linkwatch.MaxHops, hop.URL, clip(next.Redacted(), linkwatch.MaxURLLen)))
				return
			}
			redirects++
			u = next
			continue
		}
		c.final(r, u, resp, tr, e)
		return
	}
}

// nextURL returns where a redirect response points. redirect is false for a
// response that is not a redirect; why is set for one whose Location cannot
// be followed.
func nextURL(cur *url.URL, resp *http.Response) (next *url.URL, redirect bool, why string) {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return nil, false, ""
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, true, "no Location header"
	}
	next, err := cur.Parse(loc) // relative Locations resolve against the current URL
	if err != nil {
		return nil, true, "an invalid Location header"
	}
	if next.Scheme != "http" && next.Scheme != "https" || next.Host == "" {
		return nil, true, fmt.Sprintf("a Location that is not an http or https URL (%.100q)", next.Redacted())
	}
	next.Fragment, next.RawFragment = "", "" // never sent; #a and #b are the same request
	return next, true, ""
}

// final checks the last response of a chain: status, body and certificate.
func (c *Checker) final(r *run, u *url.URL, resp *http.Response, tr *tracer, e linkwatch.Expectation) {
	const step = linkwatch.StepDestination
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		r.res.CertExpiry = resp.TLS.PeerCertificates[0].NotAfter
	}
	if !e.Accepts(resp.StatusCode) {
		drain(resp.Body)
		r.res.Phases = tr.phases()
		r.fail(step, linkwatch.ClassHTTPStatus,
			fmt.Sprintf("%s answered %d, want %s", r.res.FinalURL, resp.StatusCode, wantStatuses(e)))
		return
	}
	sum, found, err := c.readBody(resp.Body, e.Keyword)
	resp.Body.Close()
	r.res.Phases = tr.phases()
	if err != nil {
		r.failRequest(step, u, fmt.Errorf("reading the body: %w", err))
		return
	}
	r.res.Fingerprint = sum
	if !found {
		r.fail(step, linkwatch.ClassKeyword, fmt.Sprintf("%s: keyword %q not found in the first %d bytes of the body",
			r.res.FinalURL, clip(e.Keyword, 256), c.cfg.BodyLimit))
	}
}

// Read buffers, reused across checks. A body without a keyword to find is
// streamed through a copy buffer into the hash; one with a keyword is held
// whole (up to BodyLimit) in a body buffer.
var (
	copyBufPool = sync.Pool{New: func() any { return new([16 << 10]byte) }}
	bodyBufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// readBody reads at most BodyLimit bytes and returns their SHA-256 in hex and
// whether keyword ("" always matches) is among them.
func (c *Checker) readBody(body io.Reader, keyword string) (sum string, found bool, err error) {
	h := sha256.New()
	lr := io.LimitReader(body, c.cfg.BodyLimit)
	if keyword == "" {
		buf := copyBufPool.Get().(*[16 << 10]byte)
		defer copyBufPool.Put(buf)
		_, err = io.CopyBuffer(h, lr, buf[:])
		return hex.EncodeToString(h.Sum(nil)), true, err
	}
	b := bodyBufPool.Get().(*bytes.Buffer)
	defer func() {
		if b.Cap() <= 64<<10 { // keep small buffers; a 1 MiB one per idle goroutine adds up
			bodyBufPool.Put(b)
		}
	}()
	b.Reset()
	_, err = b.ReadFrom(lr)
	h.Write(b.Bytes())
	return hex.EncodeToString(h.Sum(nil)), bytes.Contains(b.Bytes(), []byte(keyword)), err
}

// wantStatuses describes the statuses e accepts.
func wantStatuses(e linkwatch.Expectation) string {
	if len(e.Statuses) == 0 {
		return "2xx"
	}
	s := make([]string, len(e.Statuses))
	for i, st := range e.Statuses {
		s[i] = strconv.Itoa(st)
	}
	if len(s) == 1 {
		return s[0]
	}
	return "one of " + strings.Join(s, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// clip shortens s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	i := n - len(ellipsis)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + ellipsis
}
