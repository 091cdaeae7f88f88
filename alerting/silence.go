package alerting

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch"
)

// MatchOp is a matcher's comparison, spelled as in Alertmanager.
type MatchOp string

// Matcher operators.
const (
	MatchEqual     MatchOp = "="
	MatchNotEqual  MatchOp = "!="
	MatchRegexp    MatchOp = "=~"
	MatchNotRegexp MatchOp = "!~"
)

// Matcher selects alerts by one label, as Alertmanager's matchers do: an
// alert without the label is matched as if the label were empty, so
// severity="" and severity!~".+" both select alerts that have no severity.
// Regular expressions (RE2 syntax) must match the whole value.
type Matcher struct {
	Name  string
	Op    MatchOp
	Value string
}

// String formats the matcher in the compact form ParseMatchers reads, such
// as campaign="spring".
func (m Matcher) String() string {
	return m.Name + string(m.Op) + strconv.Quote(m.Value)
}

// CompiledMatcher is a Matcher ready to match, with its regular expression
// compiled. Obtain one from Matcher.Compile.
type CompiledMatcher struct {
	Matcher
	re *regexp.Regexp
}

// Compile checks the matcher and compiles its regular expression, anchored
// at both ends like Alertmanager's: severity=~"crit" does not match
// "critical". The expression is checked on its own before it is anchored,
// so a value such as `a)|(b` cannot escape the anchors. Errors name the
// matcher.
func (m Matcher) Compile() (CompiledMatcher, error) {
	if !validLabelName(m.Name) {
		return CompiledMatcher{}, linkwatch.Errorf(linkwatch.EINVALID,
			"invalid matcher %s: label name %q must be a letter or _ followed by letters, digits or _", m, m.Name)
	}
	switch m.Op {
	case MatchEqual, MatchNotEqual:
		return CompiledMatcher{Matcher: m}, nil
	case MatchRegexp, MatchNotRegexp:
		if _, err := regexp.Compile(m.Value); err != nil {
			return CompiledMatcher{}, linkwatch.Errorf(linkwatch.EINVALID, "invalid matcher %s: %v", m, err)
		}
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return CompiledMatcher{}, linkwatch.Errorf(linkwatch.EINVALID, "invalid matcher %s: %v", m, err)
		}
		return CompiledMatcher{Matcher: m, re: re}, nil
	}
	return CompiledMatcher{}, linkwatch.Errorf(linkwatch.EINVALID,
		"invalid matcher %s: operator %q must be one of =, !=, =~, !~", m, string(m.Op))
}

// Matches reports whether the alert with these labels satisfies the
// matcher; a missing label counts as the empty value.
func (c CompiledMatcher) Matches(labels map[string]string) bool {
	v := labels[c.Name]
	switch c.Op {
	case MatchEqual:
		return v == c.Value
	case MatchNotEqual:
		return v != c.Value
	case MatchRegexp:
		return c.re != nil && c.re.MatchString(v)
	case MatchNotRegexp:
		return c.re != nil && !c.re.MatchString(v)
	}
	return false
}

// compileMatchers compiles ms and checks that they select some alerts but
// not all: there is at least one, and at least one of them is selective
// (see selective). what names the field in errors, e.g. "matchers".
func compileMatchers(what string, ms []Matcher) ([]CompiledMatcher, error) {
	if len(ms) == 0 {
		return nil, linkwatch.FieldErrorf(what, "at least one matcher is required")
	}
	cs := make([]CompiledMatcher, len(ms))
	all := true
	for i, m := range ms {
		c, err := m.Compile()
		if err != nil {
			return nil, linkwatch.FieldErrorf(fmt.Sprintf("%s[%d]", what, i), "%s", linkwatch.ErrorMessage(err))
		}
		cs[i] = c
		all = all && !c.selective()
	}
	if all {
		return nil, linkwatch.FieldErrorf(what, "%s", errMatchesEverything)
	}
	return cs, nil
}

const errMatchesEverything = "the matchers would match every alert: at least one must not match a missing label, " +
	"nor every rule name or every severity"

// Samples of the values every alert has for its rule and severity labels;
// other labels may be missing, which matches as the empty value.
var (
	ruleNameSamples = []string{"x", "link_down", "zq9_unlikely_rule_7"}
	severitySamples = []string{SeverityCritical, SeverityWarning, SeverityInfo}
	missingSamples  = []string{""}
)

// selective reports whether the matcher leaves some alerts out, however it
// is spelled: it must fail on at least one value its label can have. Every
// alert has a rule (a rule name) and a severity (one of three), so
// rule!="" or severity=~".+" select nothing; any other label may be missing,
// so a matcher that matches the empty value (x=~".*", link!="promo") is
// not selective either, as in Alertmanager. Rule names are sampled, so a
// regular expression written to match exactly every rule name may slip
// through; the usual spellings of "anything" do not.
func (c CompiledMatcher) selective() bool {
	samples := missingSamples
	switch c.Name {
	case "rule":
		samples = ruleNameSamples
	case "severity":
		samples = severitySamples
	}
	for _, v := range samples {
		if !c.Matches(map[string]string{c.Name: v}) {
			return true
		}
	}
	return false
}

// matchAll reports whether every matcher matches labels. Matchers that
// Validate would reject (none, one that does not compile, or a set that
// matches every alert) match nothing: a stored silence from an older,
// laxer version must never mute everything.
func matchAll(ms []Matcher, labels map[string]string) bool {
	cs, err := compileMatchers("matchers", ms)
	if err != nil {
		return false
	}
	for _, c := range cs {
		if !c.Matches(labels) {
			return false
		}
	}
	return true
}

func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// Silence mutes the notifications of matching alerts from Start (inclusive)
// to End (exclusive), as in Alertmanager. Alerts keep being evaluated and
// recorded while silenced; see Muted.
//
// A silence with UntilResolved (an alert's key) also ends as soon as that
// alert is no longer pending or firing: the evaluating engine expires it
// in the cycle that stores the alert resolved, ok or gone, so the next
// firing of the alert is sent. End still bounds it (see
// UntilResolvedBound), so an alert that never resolves is not muted
// forever.
type Silence struct {
	ID            string
	Matchers      []Matcher
	Start         time.Time
	End           time.Time
	Author        string
	Comment       string
	CreatedAt     time.Time
	UntilResolved string
}

// UntilResolvedBound is the default end of a silence until an alert
// resolves, from its start: the longest such a silence lasts when its
// alert keeps firing (or is never stored resolved).
const UntilResolvedBound = 30 * 24 * time.Hour

// MaxCommentLen is the longest silence comment accepted, in characters.
const MaxCommentLen = 1000

// Validate checks a silence before it is stored. Errors are
// *linkwatch.Error values of code invalid whose Field names the offending
// field ("matchers[1]", "end", "author"…).
func (s Silence) Validate() error {
	if _, err := compileMatchers("matchers", s.Matchers); err != nil {
		return err
	}
	if s.Start.IsZero() {
		return linkwatch.FieldErrorf("start", "start is required")
	}
	if s.End.IsZero() {
		return linkwatch.FieldErrorf("end", "end is required")
	}
	if !s.End.After(s.Start) {
		return linkwatch.FieldErrorf("end", "end (%s) must be after start (%s)",
			s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339))
	}
	if strings.TrimSpace(s.Author) == "" {
		return linkwatch.FieldErrorf("author", "author is required")
	}
	if n := utf8.RuneCountInString(s.Comment); n > MaxCommentLen {
		return linkwatch.FieldErrorf("comment", "comment must be at most %d characters; got %d", MaxCommentLen, n)
	}
	return nil
}

// Active reports whether the silence is in force at now: Start <= now < End.
func (s Silence) Active(now time.Time) bool {
	return !now.Before(s.Start) && now.Before(s.End)
}

// Matches reports whether every matcher of the silence matches the labels,
// whatever the time. It compiles the matchers on each call; a silence that
// Validate would reject for its matchers matches nothing.
func (s Silence) Matches(labels map[string]string) bool {
	return matchAll(s.Matchers, labels)
}

// Muted reports whether notifications for an alert with these labels are
// muted at now, and by what: the ID of the first active silence that
// matches, in order, else of the first active maintenance window that
// matches.
//
// Muting is about sending only. The alert engine still evaluates the rule,
// moves the alert through its states and records it; the delivery side asks
// Muted before sending and holds what is muted. When the silence or window
// ends while the alert still fires, the alert is sent then.
func Muted(labels map[string]string, now time.Time, silences []Silence, windows []Maintenance) (muted bool, by string) {
	for _, s := range silences {
		if s.Active(now) && s.Matches(labels) {
			return true, s.ID
		}
	}
	for _, w := range windows {
		if w.Matches(labels) && w.Active(now) {
			return true, w.ID
		}
	}
	return false, ""
}

// ParseMatchers reads matchers in Alertmanager's compact form:
//
//	{campaign="spring", severity=~"critical|warning", link!="promo"}
//
// The braces are optional, a trailing comma is allowed, and "" or "{}"
// yield no matchers. Label names are letters, digits and _ (not starting
// with a digit); values are double-quoted, with Go's escapes (\" \\ \n
// \u00e9…), so Matcher.String's output reads back unchanged. Regular
// expressions are compiled, so an accepted matcher always compiles. Errors
// give the 1-based column of the problem.
func ParseMatchers(s string) ([]Matcher, error) {
	p := matcherParser{s: s}
	p.space()
	braced := p.eat("{")
	ms := []Matcher{}
	bare := false // the last matcher has no comma after it
	for {
		p.space()
		if p.pos == len(p.s) || braced && p.peek() == '}' {
			break
		}
		start := p.pos
		m, err := p.matcher()
		if err != nil {
			return nil, err
		}
		if _, err := m.Compile(); err != nil {
			return nil, p.errorfAt(start, "%s", linkwatch.ErrorMessage(err))
		}
		ms = append(ms, m)
		p.space()
		if bare = !p.eat(","); bare {
			break
		}
	}
	if braced && !p.eat("}") {
		if bare {
			return nil, p.errorf(`expected "," or "}", got %s`, p.next())
		}
		return nil, p.errorf(`expected a label name or "}", got %s`, p.next())
	}
	p.space()
	if p.pos < len(p.s) {
		switch {
		case braced:
			return nil, p.errorf(`unexpected %s after "}"`, p.next())
		case p.peek() == '}':
			return nil, p.errorf(`unexpected "}" without an opening "{"`)
		}
		return nil, p.errorf(`expected "," or end of input, got %s`, p.next())
	}
	return ms, nil
}

type matcherParser struct {
	s   string
	pos int // byte offset
}

func (p *matcherParser) matcher() (Matcher, error) {
	start := p.pos
	for p.pos < len(p.s) && isNameByte(p.s[p.pos]) {
		if p.pos == start && '0' <= p.s[p.pos] && p.s[p.pos] <= '9' {
			break
		}
		p.pos++
	}
	if p.pos == start {
		return Matcher{}, p.errorf("expected a label name, got %s", p.next())
	}
	m := Matcher{Name: p.s[start:p.pos]}
	p.space()
	for _, op := range []MatchOp{MatchRegexp, MatchNotRegexp, MatchNotEqual, MatchEqual} {
		if p.eat(string(op)) {
			m.Op = op
			break
		}
	}
	if m.Op == "" {
		return Matcher{}, p.errorf("expected an operator (=, !=, =~, !~) after %s, got %s", m.Name, p.next())
	}
	p.space()
	v, err := p.quoted(m.Name + string(m.Op))
	if err != nil {
		return Matcher{}, err
	}
	m.Value = v
	return m, nil
}

// quoted reads a double-quoted value; after is what precedes it, for errors.
func (p *matcherParser) quoted(after string) (string, error) {
	if p.peek() != '"' {
		return "", p.errorf("expected a double-quoted value after %s, got %s", after, p.next())
	}
	open := p.pos
	p.pos++
	var b strings.Builder
	for {
		if p.pos == len(p.s) {
			return "", p.errorfAt(open, "quoted value is not closed")
		}
		switch c := p.s[p.pos]; c {
		case '"':
			p.pos++
			return b.String(), nil
		case '\\':
			v, multibyte, tail, err := strconv.UnquoteChar(p.s[p.pos:], '"')
			if err != nil {
				if p.pos+1 == len(p.s) {
					return "", p.errorfAt(open, "quoted value is not closed")
				}
				_, size := utf8.DecodeRuneInString(p.s[p.pos+1:])
				return "", p.errorf("invalid escape %#q in quoted value", p.s[p.pos:p.pos+1+size])
			}
			if v < utf8.RuneSelf || !multibyte {
				b.WriteByte(byte(v))
			} else {
				b.WriteRune(v)
			}
			p.pos = len(p.s) - len(tail)
		default:
			b.WriteByte(c) // raw bytes are kept as they are, even invalid UTF-8
			p.pos++
		}
	}
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func (p *matcherParser) space() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *matcherParser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *matcherParser) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

// next describes what is at the current position, for errors.
func (p *matcherParser) next() string {
	if p.pos == len(p.s) {
		return "end of input"
	}
	r, size := utf8.DecodeRuneInString(p.s[p.pos:])
	if r == utf8.RuneError && size == 1 {
		return fmt.Sprintf("byte %#x", p.s[p.pos])
	}
	return strconv.Quote(string(r))
}

func (p *matcherParser) errorf(format string, args ...any) error {
	return p.errorfAt(p.pos, format, args...)
}

func (p *matcherParser) errorfAt(pos int, format string, args ...any) error {
	col := utf8.RuneCountInString(p.s[:pos]) + 1
	return linkwatch.Errorf(linkwatch.EINVALID, "invalid matchers at column %d: %s", col, fmt.Sprintf(format, args...))
}
