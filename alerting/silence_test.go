package alerting

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// checkInvalid fails unless err is an invalid *linkwatch.Error about field
// with exactly msg for users.
func checkInvalid(t *testing.T, err error, field, msg string) {
	t.Helper()
	var e *linkwatch.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an invalid %s error %q", err, field, msg)
	}
	if e.Code != linkwatch.EINVALID || e.Field != field || e.Message != msg {
		t.Errorf("error = code %q field %q message %q\nwant code %q field %q message %q",
			e.Code, e.Field, e.Message, linkwatch.EINVALID, field, msg)
	}
}

func TestMatcherMatches(t *testing.T) {
	labels := map[string]string{"campaign": "spring", "severity": "critical", "link": "promo", "empty": ""}
	tests := []struct {
		m    Matcher
		want bool
	}{
		{Matcher{"campaign", MatchEqual, "spring"}, true},
		{Matcher{"campaign", MatchEqual, "Spring"}, false},
		{Matcher{"campaign", MatchEqual, "spr"}, false},
		{Matcher{"campaign", MatchNotEqual, "spring"}, false},
		{Matcher{"campaign", MatchNotEqual, "autumn"}, true},
		{Matcher{"severity", MatchRegexp, "critical|warning"}, true},
		{Matcher{"severity", MatchRegexp, "crit"}, false},         // anchored at the end
		{Matcher{"severity", MatchRegexp, "ritical"}, false},      // anchored at the start
		{Matcher{"severity", MatchRegexp, "crit.*"}, true},        // a prefix needs .*
		{Matcher{"severity", MatchRegexp, "warning|crit"}, false}, // the alternation is inside the anchors
		{Matcher{"severity", MatchNotRegexp, "critical|warning"}, false},
		{Matcher{"severity", MatchNotRegexp, "crit"}, true},
		// A missing label is the empty value.
		{Matcher{"region", MatchEqual, ""}, true},
		{Matcher{"region", MatchEqual, "eu"}, false},
		{Matcher{"region", MatchNotEqual, "eu"}, true},
		{Matcher{"region", MatchNotEqual, ""}, false},
		{Matcher{"region", MatchRegexp, ".*"}, true},
		{Matcher{"region", MatchRegexp, ".+"}, false},
		{Matcher{"region", MatchNotRegexp, ".+"}, true},
		{Matcher{"region", MatchNotRegexp, ".*"}, false},
		// An empty label is the same as a missing one.
		{Matcher{"empty", MatchEqual, ""}, true},
		{Matcher{"empty", MatchNotRegexp, ".+"}, true},
		{Matcher{"link", MatchNotRegexp, ".+"}, false},
	}
	for _, tt := range tests {
		c, err := tt.m.Compile()
		if err != nil {
			t.Fatalf("%s: %v", tt.m, err)
		}
		if got := c.Matches(labels); got != tt.want {
			t.Errorf("%s matches %v = %v, want %v", tt.m, labels, got, tt.want)
		}
	}
}

func TestMatcherCompileErrors(t *testing.T) {
	tests := []struct {
		m    Matcher
		want string
	}{
		{Matcher{"severity", MatchRegexp, "(crit"}, "invalid matcher severity=~\"(crit\": error parsing regexp: missing closing ): `(crit`"},
		{Matcher{"severity", MatchNotRegexp, "*"}, "invalid matcher severity!~\"*\": error parsing regexp: missing argument to repetition operator: `*`"},
		// Checked before anchoring: it would otherwise become ^(?:a)|(?:b)$.
		{Matcher{"link", MatchRegexp, "a)|(?:b"}, "invalid matcher link=~\"a)|(?:b\": error parsing regexp: unexpected ): `a)|(?:b`"},
		{Matcher{"", MatchEqual, "x"}, `invalid matcher ="x": label name "" must be a letter or _ followed by letters, digits or _`},
		{Matcher{"1a", MatchEqual, "x"}, `invalid matcher 1a="x": label name "1a" must be a letter or _ followed by letters, digits or _`},
		{Matcher{"a-b", MatchEqual, "x"}, `invalid matcher a-b="x": label name "a-b" must be a letter or _ followed by letters, digits or _`},
		{Matcher{"a", "==", "x"}, `invalid matcher a=="x": operator "==" must be one of =, !=, =~, !~`},
		{Matcher{"a", "", "x"}, `invalid matcher a"x": operator "" must be one of =, !=, =~, !~`},
	}
	for _, tt := range tests {
		_, err := tt.m.Compile()
		if err == nil {
			t.Errorf("%s compiled, want error %q", tt.m, tt.want)
			continue
		}
		if linkwatch.ErrorCode(err) != linkwatch.EINVALID || linkwatch.ErrorMessage(err) != tt.want {
			t.Errorf("%s: error %v\nwant invalid: %s", tt.m, err, tt.want)
		}
	}
}

func TestParseMatchers(t *testing.T) {
	tests := []struct {
		in   string
		want []Matcher
	}{
		{`{campaign="spring", severity=~"critical|warning", link!="promo"}`, []Matcher{
			{"campaign", MatchEqual, "spring"},
			{"severity", MatchRegexp, "critical|warning"},
			{"link", MatchNotEqual, "promo"},
		}},
		{`campaign="spring",region!~"eu-.*"`, []Matcher{
			{"campaign", MatchEqual, "spring"},
			{"region", MatchNotRegexp, "eu-.*"},
		}},
		{"\n{ campaign = \"spring\" ,\n\tlink=\"\" , }\t", []Matcher{
			{"campaign", MatchEqual, "spring"},
			{"link", MatchEqual, ""},
		}},
		{`{a="x",a!="y"}`, []Matcher{{"a", MatchEqual, "x"}, {"a", MatchNotEqual, "y"}}},
		{`{_a1="x", B_2=~"\\d+"}`, []Matcher{{"_a1", MatchEqual, "x"}, {"B_2", MatchRegexp, `\d+`}}},
		{`{note="say \"hi\"\n\\ \u00e9 é \x41 ,}"}`, []Matcher{{"note", MatchEqual, "say \"hi\"\n\\ é é A ,}"}}},
		{`{}`, []Matcher{}},
		{` { } `, []Matcher{}},
		{``, []Matcher{}},
	}
	for _, tt := range tests {
		got, err := ParseMatchers(tt.in)
		if err != nil {
			t.Errorf("ParseMatchers(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseMatchers(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseMatchersErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{campaign="spring"`, `invalid matchers at column 19: expected "," or "}", got end of input`},
		{`{campaign="spring",`, `invalid matchers at column 20: expected a label name or "}", got end of input`},
		{`{`, `invalid matchers at column 2: expected a label name or "}", got end of input`},
		{`{campaign=spring}`, `invalid matchers at column 11: expected a double-quoted value after campaign=, got "s"`},
		{`{campaign='spring'}`, `invalid matchers at column 11: expected a double-quoted value after campaign=, got "'"`},
		{`{campaign=}`, `invalid matchers at column 11: expected a double-quoted value after campaign=, got "}"`},
		{`{campaign:"spring"}`, `invalid matchers at column 10: expected an operator (=, !=, =~, !~) after campaign, got ":"`},
		{`{campaign=="spring"}`, `invalid matchers at column 11: expected a double-quoted value after campaign=, got "="`},
		{`{campaign}`, `invalid matchers at column 10: expected an operator (=, !=, =~, !~) after campaign, got "}"`},
		{`{="x"}`, `invalid matchers at column 2: expected a label name, got "="`},
		{`{1a="x"}`, `invalid matchers at column 2: expected a label name, got "1"`},
		{`{é="x"}`, `invalid matchers at column 2: expected a label name, got "é"`},
		{"{\xff=\"x\"}", `invalid matchers at column 2: expected a label name, got byte 0xff`},
		{`{a="x",,b="y"}`, `invalid matchers at column 8: expected a label name, got ","`},
		{`{a="x" b="y"}`, `invalid matchers at column 8: expected "," or "}", got "b"`},
		{`{a="é" b="y"}`, `invalid matchers at column 8: expected "," or "}", got "b"`}, // columns count characters
		{`{a="x"} b`, `invalid matchers at column 9: unexpected "b" after "}"`},
		{`{a="x"}}`, `invalid matchers at column 8: unexpected "}" after "}"`},
		{`a="x"}`, `invalid matchers at column 6: unexpected "}" without an opening "{"`},
		{`a="x" b="y"`, `invalid matchers at column 7: expected "," or end of input, got "b"`},
		{`a="x",}`, `invalid matchers at column 7: expected a label name, got "}"`},
		{`{a="unclosed}`, `invalid matchers at column 4: quoted value is not closed`},
		{`{a="x\`, `invalid matchers at column 4: quoted value is not closed`},
		{`{a="bad \q"}`, "invalid matchers at column 9: invalid escape `\\q` in quoted value"},
		{`{a="bad \'"}`, "invalid matchers at column 9: invalid escape `\\'` in quoted value"},
		{`{a="bad \x4"}`, "invalid matchers at column 9: invalid escape `\\x` in quoted value"},
		{`{link="x", severity=~"(crit"}`, "invalid matchers at column 12: invalid matcher severity=~\"(crit\": error parsing regexp: missing closing ): `(crit`"},
	}
	for _, tt := range tests {
		ms, err := ParseMatchers(tt.in)
		if err == nil {
			t.Errorf("ParseMatchers(%q) = %v, want error %q", tt.in, ms, tt.want)
			continue
		}
		if linkwatch.ErrorCode(err) != linkwatch.EINVALID || linkwatch.ErrorMessage(err) != tt.want {
			t.Errorf("ParseMatchers(%q): error %v\nwant invalid: %s", tt.in, err, tt.want)
		}
	}
}

// FuzzParseMatchers: any input is parsed or refused with an invalid error
// giving a column, never a panic; what is accepted compiles, and reads back
// unchanged from its String form.
func FuzzParseMatchers(f *testing.F) {
	for _, s := range []string{
		`{campaign="spring", severity=~"critical|warning", link!="promo"}`,
		`a="x",b!~"y",`,
		`{note="say \"hi\"\n\\ \u00e9 \x41 \377"}`,
		"{a=\"\xff\"}",
		`{a=~"(crit"}`,
		`{a="x\`,
		`{}`,
		``,
		`{a="x"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseMatchers(s)
		if err != nil {
			if linkwatch.ErrorCode(err) != linkwatch.EINVALID || !strings.HasPrefix(linkwatch.ErrorMessage(err), "invalid matchers at column ") {
				t.Fatalf("ParseMatchers(%q): unexpected error %v", s, err)
			}
			return
		}
		parts := make([]string, len(ms))
		for i, m := range ms {
			if _, err := m.Compile(); err != nil {
				t.Fatalf("ParseMatchers(%q) accepted %s, which does not compile: %v", s, m, err)
			}
			parts[i] = m.String()
		}
		again := "{" + strings.Join(parts, ", ") + "}"
		back, err := ParseMatchers(again)
		if err != nil {
			t.Fatalf("ParseMatchers(%q) = %v; its String form %q does not parse: %v", s, ms, again, err)
		}
		if !reflect.DeepEqual(back, ms) {
			t.Fatalf("ParseMatchers(%q) = %#v; its String form %q reads back as %#v", s, ms, again, back)
		}
	})
}

var t0Silence = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func validSilence() Silence {
	return Silence{
		ID:        "s1",
		Matchers:  []Matcher{{"campaign", MatchEqual, "spring"}},
		Start:     t0Silence,
		End:       t0Silence.Add(2 * time.Hour),
		Author:    "ana",
		Comment:   "print run reissued",
		CreatedAt: t0Silence.Add(-time.Minute),
	}
}

func TestSilenceValidate(t *testing.T) {
	tests := []struct {
		name         string
		edit         func(*Silence)
		field, error string
	}{
		{"valid", func(*Silence) {}, "", ""},
		{"comment of 1000 characters", func(s *Silence) { s.Comment = strings.Repeat("é", 1000) }, "", ""},
		{"one selective matcher is enough", func(s *Silence) {
			s.Matchers = []Matcher{{"link", MatchEqual, ""}, {"campaign", MatchRegexp, "spring|summer"}}
		}, "", ""},
		{"no matchers", func(s *Silence) { s.Matchers = nil }, "matchers", "at least one matcher is required"},
		{"matches everything", func(s *Silence) { s.Matchers = []Matcher{{"severity", MatchRegexp, ".*"}} },
			"matchers", "the matchers would match every alert: at least one must not match a missing label, nor every rule name or every severity"},
		{"all match the empty label set", func(s *Silence) {
			s.Matchers = []Matcher{{"link", MatchNotEqual, "promo"}, {"region", MatchEqual, ""}, {"tag", MatchNotRegexp, ".+"}}
		}, "matchers", "the matchers would match every alert: at least one must not match a missing label, nor every rule name or every severity"},
		{"bad regexp", func(s *Silence) { s.Matchers = append(s.Matchers, Matcher{"severity", MatchRegexp, "("}) },
			"matchers[1]", "invalid matcher severity=~\"(\": error parsing regexp: missing closing ): `(`"},
		{"no start", func(s *Silence) { s.Start = time.Time{} }, "start", "start is required"},
		{"no end", func(s *Silence) { s.End = time.Time{} }, "end", "end is required"},
		{"end at start", func(s *Silence) { s.End = s.Start }, "end",
			"end (2026-03-01T12:00:00Z) must be after start (2026-03-01T12:00:00Z)"},
		{"end before start", func(s *Silence) { s.End = s.Start.Add(-time.Second) }, "end",
			"end (2026-03-01T11:59:59Z) must be after start (2026-03-01T12:00:00Z)"},
		{"no author", func(s *Silence) { s.Author = " \t" }, "author", "author is required"},
		{"comment too long", func(s *Silence) { s.Comment = strings.Repeat("é", 1001) }, "comment",
			"comment must be at most 1000 characters; got 1001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSilence()
			tt.edit(&s)
			err := s.Validate()
			if tt.error == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			checkInvalid(t, err, tt.field, tt.error)
		})
	}
}

func TestSilenceActive(t *testing.T) {
	s := validSilence() // 12:00 to 14:00
	tests := []struct {
		at   time.Time
		want bool
	}{
		{s.Start.Add(-time.Nanosecond), false},
		{s.Start, true}, // inclusive
		{s.Start.Add(time.Hour), true},
		{s.End.Add(-time.Nanosecond), true},
		{s.End, false}, // exclusive
		{s.End.Add(time.Hour), false},
		{s.Start.In(time.FixedZone("CET", 3600)), true}, // instants, not wall clocks
	}
	for _, tt := range tests {
		if got := s.Active(tt.at); got != tt.want {
			t.Errorf("Active(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestSilenceMatches(t *testing.T) {
	alert := map[string]string{"campaign": "spring", "severity": "critical", "link": "promo"}
	tests := []struct {
		name     string
		matchers []Matcher
		want     bool
	}{
		{"all match", []Matcher{{"campaign", MatchEqual, "spring"}, {"severity", MatchRegexp, "critical|warning"}}, true},
		{"one does not", []Matcher{{"campaign", MatchEqual, "spring"}, {"link", MatchNotEqual, "promo"}}, false},
		{"missing label", []Matcher{{"campaign", MatchEqual, "spring"}, {"region", MatchEqual, "eu"}}, false},
		// Silences Validate rejects mute nothing.
		{"no matchers", nil, false},
		{"matches every alert", []Matcher{{"severity", MatchRegexp, ".*"}}, false},
		{"bad regexp", []Matcher{{"campaign", MatchEqual, "spring"}, {"severity", MatchRegexp, "("}}, false},
	}
	for _, tt := range tests {
		s := Silence{Matchers: tt.matchers}
		if got := s.Matches(alert); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMuted(t *testing.T) {
	now := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC) // a Sunday
	on := func(id, matchers string, from, to time.Duration) Silence {
		ms, err := ParseMatchers(matchers)
		if err != nil {
			t.Fatal(err)
		}
		return Silence{ID: id, Matchers: ms, Start: now.Add(from), End: now.Add(to), Author: "ana"}
	}
	silences := []Silence{
		on("expired", `{campaign="spring"}`, -2*time.Hour, -time.Hour),
		on("future", `{campaign="spring"}`, time.Hour, 2*time.Hour),
		on("other-campaign", `{campaign="autumn"}`, -time.Hour, time.Hour),
		on("spring-critical", `{campaign="spring", severity="critical"}`, -time.Hour, time.Hour),
		on("spring", `{campaign="spring"}`, -time.Hour, time.Hour),
	}
	windows := []Maintenance{
		{ID: "not-now", Name: "later", Matchers: []Matcher{{"link", MatchEqual, "promo"}},
			Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)},
		{ID: "sunday-db", Name: "database upgrade", Matchers: []Matcher{{"rule", MatchRegexp, "db_.*"}},
			Cron: "0 2 * * 0", Duration: 2 * time.Hour},
		{ID: "promo", Name: "promo site migration", Matchers: []Matcher{{"link", MatchEqual, "promo"}},
			Start: now.Add(-time.Minute), End: now.Add(time.Minute)},
	}
	tests := []struct {
		name   string
		labels map[string]string
		at     time.Time
		muted  bool
		by     string
	}{
		{"first matching silence wins", map[string]string{"campaign": "spring", "severity": "critical"}, now, true, "spring-critical"},
		{"next silence", map[string]string{"campaign": "spring", "severity": "warning"}, now, true, "spring"},
		{"silences before windows", map[string]string{"campaign": "spring", "link": "promo"}, now, true, "spring"},
		{"window", map[string]string{"campaign": "summer", "link": "promo"}, now, true, "promo"},
		{"recurring window", map[string]string{"rule": "db_pool_saturation"}, now, true, "sunday-db"},
		{"recurring window closed", map[string]string{"rule": "db_pool_saturation"}, now.Add(time.Hour), false, ""},
		{"nothing matches", map[string]string{"campaign": "summer", "link": "home"}, now, false, ""},
		{"no labels", nil, now, false, ""},
		{"all silences over", map[string]string{"campaign": "spring"}, now.Add(3 * time.Hour), false, ""},
		{"expired silence matches once active", map[string]string{"campaign": "spring"}, now.Add(-90 * time.Minute), true, "expired"},
	}
	for _, tt := range tests {
		muted, by := Muted(tt.labels, tt.at, silences, windows)
		if muted != tt.muted || by != tt.by {
			t.Errorf("%s: Muted = %v, %q; want %v, %q", tt.name, muted, by, tt.muted, tt.by)
		}
	}
	if muted, by := Muted(map[string]string{"campaign": "spring"}, now, nil, nil); muted || by != "" {
		t.Errorf("Muted with no silences or windows = %v, %q", muted, by)
	}
}
