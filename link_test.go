package linkwatch

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestValidateSlug(t *testing.T) {
	tests := []struct {
		slug string
		ok   bool
	}{
		{"spring-sale", true}, {"A1_b2", true}, {"x", true}, {strings.Repeat("a", 64), true},
		{"", false}, {strings.Repeat("a", 65), false}, {"has space", false}, {"a/b", false},
		{"a.b", false}, {"-lead", false}, {"_lead", false}, {"ünï", false}, {"api", false},
		{"API", false}, {"status", false}, {"healthz", false}, {"readyz", false}, {"metrics", false},
		{"a%20b", false}, {"a?b", false},
	}
	for _, tt := range tests {
		err := ValidateSlug(tt.slug)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateSlug(%q) = %v, want ok=%v", tt.slug, err, tt.ok)
		}
		if err != nil && (ErrorCode(err) != EINVALID || ErrorField(err) != "slug") {
			t.Errorf("ValidateSlug(%q) error %v lacks code/field", tt.slug, err)
		}
	}
}

func TestValidateURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://example.com", true}, {"http://example.com/a?b=c#d", true}, {"https://example.com:8443/x", true},
		{"https://[2001:db8::1]/", true}, {"HTTPS://EXAMPLE.COM/", true},
		{"", false}, {"javascript:alert(1)", false}, {"data:text/html,<b>x</b>", false}, {"/relative", false},
		{"example.com", false}, {"ftp://example.com/", false}, {"https://", false}, {"https:///path", false},
		{"https://user:pw@example.com/", false}, {"https://google.com@evil.com/", false},
		{"https://exa mple.com/", false}, {"https://example.com/\n", false}, {"https://example.com/" + strings.Repeat("a", 2048), false},
		{"https://example.com:0/", false}, {"https://example.com:999999/", false}, {"mailto:a@b.c", false},
		{"\xff\xfe", false},
	}
	for _, tt := range tests {
		err := ValidateURL("destination", tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestValidateDomainAndTags(t *testing.T) {
	for _, d := range []string{"go.brand.com", "a-b.example.co.uk"} {
		if err := ValidateDomain(d); err != nil {
			t.Errorf("ValidateDomain(%q) = %v", d, err)
		}
	}
	for _, d := range []string{"localhost", "Go.Brand.com", "-a.com", "a..com", "1.2.3.4", "a_b.com", "a.com:80", strings.Repeat("a", 64) + ".com"} {
		if ValidateDomain(d) == nil {
			t.Errorf("ValidateDomain(%q) accepted", d)
		}
	}
	if err := ValidateTags([]string{"spring-2026", "campaign:billboard", "eu/de"}); err != nil {
		t.Error(err)
	}
	for _, tags := range [][]string{{""}, {"a", "a"}, {"has space"}, {strings.Repeat("t", 65)}, make([]string, 21)} {
		if ValidateTags(tags) == nil {
			t.Errorf("ValidateTags(%q) accepted", tags)
		}
	}
}

func TestLinkValidate(t *testing.T) {
	base := func() *Link {
		l := &Link{Slug: "ok", Destination: "https://example.com/"}
		l.ApplyDefaults()
		return l
	}
	if l := base(); l.RedirectCode != 302 || l.CheckInterval != time.Minute || l.Validate() != nil {
		t.Fatalf("defaults: %+v %v", l, l.Validate())
	}
	tests := []struct {
		field string
		mod   func(*Link)
	}{
		{"redirect_code", func(l *Link) { l.RedirectCode = 303 }},
		{"check_interval", func(l *Link) { l.CheckInterval = 500 * time.Millisecond }},
		{"check_interval", func(l *Link) { l.CheckInterval = 1500 * time.Millisecond }},
		{"check_interval", func(l *Link) { l.CheckInterval = 25 * time.Hour }},
		{"fallback_url", func(l *Link) { l.FallbackURL = "javascript:x" }},
		{"domain", func(l *Link) { l.Domain = "nodot" }},
		{"destination", func(l *Link) { l.Destination = "" }},
	}
	for _, tt := range tests {
		l := base()
		tt.mod(l)
		if err := l.Validate(); ErrorField(err) != tt.field {
			t.Errorf("%s: Validate() = %v, want field %s", tt.field, err, tt.field)
		}
	}
}

func TestTarget(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &Link{Destination: "https://d/", FallbackURL: "https://f/", ExpiresAt: now}
	if target, fb, gone := l.Target(now); target != "https://f/" || !fb || gone {
		t.Errorf("expired with fallback: %q %v %v", target, fb, gone)
	}
	l.FallbackURL = ""
	if _, _, gone := l.Target(now); !gone {
		t.Error("expired without fallback is not gone")
	}
	if target, _, gone := l.Target(now.Add(-time.Second)); target != "https://d/" || gone {
		t.Error("not yet expired")
	}
}

func TestNewSlugAndShortURL(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s := NewSlug()
		if len(s) != GeneratedSlugLen || ValidateSlug(s) != nil || strings.ContainsAny(s, "01ilo") {
			t.Fatalf("bad slug %q", s)
		}
		seen[s] = true
	}
	if len(seen) < 999 {
		t.Errorf("only %d distinct slugs in 1000", len(seen))
	}
	base, _ := url.Parse("https://lw.example.com")
	l := &Link{Slug: "abc"}
	if got := l.ShortURL(base); got != "https://lw.example.com/abc" {
		t.Error(got)
	}
	if got := l.QRURL(base); got != "https://lw.example.com/abc?lw=qr" {
		t.Error(got)
	}
	l.Domain = "go.brand.com"
	if got := l.ShortURL(base); got != "https://go.brand.com/abc" {
		t.Error(got)
	}
}

func TestTokens(t *testing.T) {
	tok, secret := NewToken("ci", []Scope{ScopeRead}, time.Now())
	if !tok.Matches(secret.Reveal()) || tok.Matches(secret.Reveal()+"x") {
		t.Fatal("Matches is wrong")
	}
	if TokenID(secret.Reveal()) != tok.ID || TokenID("nope") != "" || TokenID("lw_short_x") != "" {
		t.Fatal("TokenID is wrong")
	}
	if !tok.Allows(ScopeRead) || tok.Allows(ScopeAdmin) || tok.Allows(ScopeProber) {
		t.Fatal("Allows is wrong")
	}
	admin := &Token{Scopes: []Scope{ScopeAdmin}}
	if !admin.Allows(ScopeProber) || !admin.Allows(ScopeRead) {
		t.Fatal("admin must allow everything")
	}
	if s := Secret("hunter2hunter2"); s.String() != "<redacted>" || strings.Contains(s.GoString(), "hunter") {
		t.Fatal("secret leaks")
	}
}

func FuzzValidateSlug(f *testing.F) {
	for _, s := range []string{"spring", "api", "a/b", "-x", "ü", strings.Repeat("z", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateSlug(s) != nil {
			return
		}
		// Whatever is accepted is a single, safe path segment.
		if u, err := url.Parse("http://h/" + s); err != nil || u.Path != "/"+s || u.RawQuery != "" {
			t.Fatalf("accepted slug %q is not a plain path segment", s)
		}
	})
}

func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a?b#c", "javascript:alert(1)", "//x", "http://[::1]:80/", "https://a@b/",
		"https://bücher.example/straße?q=ü#ä", "http://B%C3%BCcher.example:8080", "https://­/", "http://[fe80::1%25ü]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateURL("destination", s) != nil {
			if _, err := NormalizeURL(s); err == nil {
				t.Fatalf("NormalizeURL accepts %q, which ValidateURL refuses", s)
			}
			return
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			t.Fatalf("accepted %q: %v %+v", s, err, u)
		}
		// What goes out in Location is ASCII, valid on its own, its own
		// normal form, and the same URL for an ASCII one.
		n, err := NormalizeURL(s)
		if err != nil {
			t.Fatalf("NormalizeURL(%q) fails on an accepted URL: %v", s, err)
		}
		if !isASCII(n) || ValidateURL("destination", n) != nil {
			t.Fatalf("NormalizeURL(%q) = %q: not a valid ASCII URL", s, n)
		}
		if again, _ := NormalizeURL(n); again != n {
			t.Fatalf("NormalizeURL(%q) = %q, not idempotent: %q", s, n, again)
		}
		nu, _ := url.Parse(n)
		if nu.Scheme != u.Scheme || nu.Port() != u.Port() || isASCII(u.Hostname()) && nu.Host != u.Host {
			t.Fatalf("NormalizeURL(%q) = %q changed the scheme, port or an ASCII host", s, n)
		}
		if isASCII(s) && !strings.Contains(s, "%") && n != s {
			t.Fatalf("NormalizeURL changed an ASCII URL: %q → %q", s, n)
		}
	})
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://bücher.example/straße?q=ü", "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"},
		{"https://BÜCHER.example:8443/a#ß", "https://xn--bcher-kva.example:8443/a#%C3%9F"},
		{"http://b%C3%BCcher.example/", "http://xn--bcher-kva.example/"},
		{"https://example.com/über?x=1", "https://example.com/%C3%BCber?x=1"},
		{"https://example.com/a%20b?c=d#e", "https://example.com/a%20b?c=d#e"}, // ASCII: untouched
		{"HTTPS://Example.COM", "HTTPS://Example.COM"},
		{"https://例え.jp?x", "https://xn--r8jz45g.jp?x"},
	}
	for _, tt := range tests {
		got, err := NormalizeURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"https://a‍b.example/", "http://[fe80::1%25ü]/", "https://-ü.example/"} {
		if _, err := NormalizeURL(bad); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizeURL(%q) = %v, want invalid", bad, err)
		}
	}

	// A link stores the form that goes out.
	l := &Link{Slug: "s", Destination: "https://bücher.example/straße?q=ü", FallbackURL: "https://bücher.example/",
		RedirectCode: 302, CheckInterval: time.Minute}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	if l.Destination != "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC" || l.FallbackURL != "https://xn--bcher-kva.example/" {
		t.Errorf("stored %q and %q", l.Destination, l.FallbackURL)
	}
}

// TestServesFallback: what each failover mode serves, with and without the
// engine's automatic decision.
func TestServesFallback(t *testing.T) {
	for _, tt := range []struct {
		mode       FailoverMode
		failedOver bool
		fallback   string
		want       bool
	}{
		{FailoverAuto, false, "https://backup.example.com/", false},
		{FailoverAuto, true, "https://backup.example.com/", true},
		{"", true, "https://backup.example.com/", true}, // a link read before modes existed
		{FailoverOff, true, "https://backup.example.com/", false},
		{FailoverPrimary, true, "https://backup.example.com/", false},
		{FailoverFallback, false, "https://backup.example.com/", true},
		{FailoverFallback, true, "", false}, // nothing to fail over to
	} {
		l := &Link{Destination: "https://shop.example.com/", FallbackURL: tt.fallback, Failover: tt.mode, FailedOver: tt.failedOver}
		if got := l.ServesFallback(); got != tt.want {
			t.Errorf("%+v: ServesFallback = %v, want %v", tt, got, tt.want)
		}
		target, fallback, _ := l.Target(time.Now())
		if fallback != tt.want || (tt.want && target != tt.fallback) || (!tt.want && target != l.Destination) {
			t.Errorf("%+v: Target = %q, %v", tt, target, fallback)
		}
	}
	l := &Link{Slug: "x", Destination: "https://shop.example.com/", RedirectCode: 302, CheckInterval: time.Minute, Failover: "sideways"}
	if err := l.Validate(); ErrorField(err) != "failover" {
		t.Errorf("an unknown mode: %v", err)
	}
}

// TestFailoverActive: the fallback served because of failover, not expiry.
func TestFailoverActive(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	base := Link{Destination: "https://shop.example.com/", FallbackURL: "https://backup.example.com/", Failover: FailoverAuto}
	for _, tt := range []struct {
		name   string
		mut    func(*Link)
		active bool
	}{
		{"auto, not failed over", func(*Link) {}, false},
		{"auto, failed over", func(l *Link) { l.FailedOver = true }, true},
		{"pinned to the fallback", func(l *Link) { l.Failover = FailoverFallback }, true},
		{"expired: the fallback is served, but not by failover", func(l *Link) { l.FailedOver, l.ExpiresAt = true, now }, false},
		{"expires later", func(l *Link) { l.FailedOver, l.ExpiresAt = true, now.Add(time.Second) }, true},
	} {
		l := base
		tt.mut(&l)
		if got := l.FailoverActive(now); got != tt.active {
			t.Errorf("%s: FailoverActive = %v, want %v", tt.name, got, tt.active)
		}
	}
}

// TestRedirect: what the short link answers, before and after expiry.
func TestRedirect(t *testing.T) {
	const dest, fb = "https://shop.example.com/", "https://backup.example.com/"
	for _, tt := range []struct {
		name       string
		l          Link
		expired    bool
		location   string
		code       int
		isFallback bool
	}{
		{"primary with its own code", Link{Destination: dest, FallbackURL: fb, RedirectCode: 301}, false, dest, 301, false},
		{"failed over: 302 whatever the code", Link{Destination: dest, FallbackURL: fb, RedirectCode: 301, FailedOver: true}, false, fb, 302, true},
		{"pinned to the fallback", Link{Destination: dest, FallbackURL: fb, RedirectCode: 308, Failover: FailoverFallback}, false, fb, 302, true},
		{"expired: the fallback with the link's code", Link{Destination: dest, FallbackURL: fb, RedirectCode: 301, FailedOver: true}, true, fb, 301, true},
		{"expired without a fallback", Link{Destination: dest, RedirectCode: 301}, true, "", StatusGone, false},
	} {
		location, code, isFallback := tt.l.Redirect(tt.expired)
		if location != tt.location || code != tt.code || isFallback != tt.isFallback {
			t.Errorf("%s: Redirect = %q %d %v, want %q %d %v", tt.name, location, code, isFallback, tt.location, tt.code, tt.isFallback)
		}
	}
}
