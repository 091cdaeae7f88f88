package prober

import (
	"net/url"
	"testing"
)

// TestSameLocationIDN checks that a link stored before IDN normalisation,
// which the redirector sends in punycode, is not a redirect_mismatch.
func TestSameLocationIDN(t *testing.T) {
	req, _ := url.Parse("https://lw.example.com/spring")
	for _, tt := range []struct {
		loc, target string
		same        bool
	}{
		{"https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC", "https://bücher.example/straße?q=ü", true},
		{"https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC", "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC", true},
		{"/ok", "https://lw.example.com/ok", true},
		{"https://xn--bcher-kva.example/other", "https://bücher.example/straße", false},
		{"", "https://bücher.example/", false},
	} {
		if got := sameLocation(req, tt.loc, tt.target); got != tt.same {
			t.Errorf("sameLocation(%q, %q) = %v, want %v", tt.loc, tt.target, got, tt.same)
		}
	}
}
