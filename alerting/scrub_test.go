package alerting

import (
	"strings"
	"testing"
)

func TestScrubber(t *testing.T) {
	const key = "k3yABCDEFGHIJKLMNOPQRSTUVWXYZ012"
	const hook = "https://hooks.example.com/services/T0/B0/t0k3nQWERTYUIOPASDF?sig=s1gn4tur3ZXCVBNM"
	sc := Scrubber{}.With(key).WithURL(hook)
	for _, tc := range []struct {
		name, in string
	}{
		{"as given", "bad key " + key + " here"},
		{"quoted URL", `Post "` + hook + `": dial tcp: connection refused`},
		{"path token alone", "unknown hook t0k3nQWERTYUIOPASDF"},
		{"query value", "bad sig s1gn4tur3ZXCVBNM"},
		{"base64", "got " + "azN5QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTI="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sc.Scrub(tc.in)
			for _, s := range []string{key, "t0k3nQWERTYUIOPASDF", "s1gn4tur3ZXCVBNM"} {
				if strings.Contains(got, s[:8]) {
					t.Errorf("Scrub(%q) = %q holds a piece of a secret", tc.in, got)
				}
			}
			if strings.Contains(got, "azN5QUJD") {
				t.Errorf("Scrub(%q) = %q holds the base64 key", tc.in, got)
			}
		})
	}
	// A body cut by a read limit in the middle of the key, and a long body
	// cut for the error at the key: neither shows a piece of it.
	for _, body := range []string{
		strings.Repeat("x", 50) + key[:20],
		strings.Repeat("x", 190) + key + " tail",
	} {
		got := sc.Snippet([]byte(body), 200)
		for i := 0; i+6 <= len(key); i++ {
			if strings.Contains(got, key[i:i+6]) {
				t.Fatalf("Snippet(%q) = %q holds %q", body, got, key[i:i+6])
			}
		}
		if len(got) > 200 {
			t.Errorf("Snippet is %d bytes, want at most 200", len(got))
		}
	}
	if got := sc.Snippet(nil, 200); got != "(empty body)" {
		t.Errorf("Snippet(nil) = %q", got)
	}
}
