package alerting

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Redacted replaces a secret in scrubbed text.
const Redacted = "<redacted>"

// minPartial is the shortest cut-off piece of a secret that Snippet still
// recognises at the end of a body (cut by a read limit).
const minPartial = 4

// Scrubber removes a notifier's secrets — tokens, API keys, passwords and
// webhook URLs, which are credentials — from text bound for errors, logs and
// the stored last_error. Every notifier scrubs with it, and scrubs the whole
// text before cutting it to length: a secret cut in two is no longer
// recognised. The zero Scrubber removes nothing.
type Scrubber struct {
	forms []string // longest first, so a whole URL goes before the path in it
}

// With returns a Scrubber that also removes secrets in every form an error
// message may show them: as given, path- and query-escaped, Go-quoted (as %q
// and url.Error print them) and base64-encoded (as SMTP AUTH sends them).
// Empty secrets are ignored.
func (s Scrubber) With(secrets ...string) Scrubber {
	forms := slices.Clone(s.forms)
	for _, secret := range secrets {
		if len(secret) < 3 {
			continue
		}
		for _, f := range []string{
			secret,
			url.PathEscape(secret),
			url.QueryEscape(secret),
			strings.Trim(strconv.Quote(secret), `"`),
			strings.Trim(strconv.QuoteToASCII(secret), `"`),
			base64.StdEncoding.EncodeToString([]byte(secret)),
		} {
			if len(f) >= 3 && !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return Scrubber{forms: forms}
}

// WithURL returns a Scrubber that also removes a URL that is a credential
// (a Slack or webhook URL) and the parts of it that errors from net and
// net/http quote or that may carry a token: its spellings, host, user info,
// path, query, fragment, and its longer path segments and query values.
func (s Scrubber) WithURL(raw string) Scrubber {
	if raw == "" {
		return s
	}
	parts := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return s.With(parts...)
	}
	parts = append(parts, u.String(), u.Redacted(), u.Host, u.Hostname(),
		u.Path, u.EscapedPath(), u.RawPath, u.RawQuery, u.Fragment, u.EscapedFragment())
	if u.User != nil {
		pw, _ := u.User.Password()
		parts = append(parts, u.User.String(), u.User.Username(), pw)
	}
	const tokenLike = 8 // shorter segments and values ("hooks", "v1") are not credentials
	for seg := range strings.SplitSeq(u.Path, "/") {
		if len(seg) >= tokenLike {
			parts = append(parts, seg)
		}
	}
	for _, values := range u.Query() {
		for _, v := range values {
			if len(v) >= tokenLike {
				parts = append(parts, v)
			}
		}
	}
	return s.With(parts...)
}

// Scrub replaces every form of every secret in text with "<redacted>".
func (s Scrubber) Scrub(text string) string {
	for _, f := range s.forms {
		text = strings.ReplaceAll(text, f, Redacted)
	}
	return text
}

// Snippet is the start of a response body for an error: scrubbed whole,
// then put on one line and cut to at most n bytes. A body that ends in the
// first characters of a secret (cut by a read limit) loses that piece too.
func (s Scrubber) Snippet(body []byte, n int) string {
	text := s.Scrub(string(body))
	for _, f := range s.forms {
		for k := len(f) - 1; k >= minPartial; k-- {
			if strings.HasSuffix(text, f[:k]) {
				text = text[:len(text)-k] + Redacted
				break
			}
		}
	}
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return "(empty body)"
	}
	return Truncate(text, n)
}

// Truncate cuts scrubbed text to at most n bytes on a rune boundary, marking
// the cut with "…". Cut only text that has been scrubbed whole.
func Truncate(text string, n int) string {
	if len(text) <= n {
		return text
	}
	const ellipsis = "…"
	cut := max(n-len(ellipsis), 0)
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + ellipsis
}
