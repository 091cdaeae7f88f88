package datadog

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitizeTag(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"region", "eu-west", "region:eu-west"},
		{"link", "Spring-Sale", "link:spring-sale"},
		{"tag", "Spring 2025", "tag:spring_2025"},
		{"tag", "a,b|c#d\ne", "tag:a_b_c_d_e"},
		{"url", "https://lw.example/x?y=1", "url:https://lw.example/x_y_1"},
		{"_team", "Payments", "team:payments"},
		{"1st", "x", "st:x"},
		{"a:b", "c:d", "a_b:c:d"},
		{"tag", "Été", "tag:été"},
		{"tag", "キャンペーン", "tag:キャンペーン"},
		{"tag", "", ""},
		{"", "x", ""},
		{"123", "x", ""},
		{"tag", strings.Repeat("x", 300), "tag:" + strings.Repeat("x", 196)},
		{"tag", strings.Repeat("é", 300), "tag:" + strings.Repeat("é", 196)},
	}
	for _, tt := range tests {
		if got := SanitizeTag(tt.key, tt.value); got != tt.want {
			t.Errorf("SanitizeTag(%q, %q) = %q, want %q", tt.key, tt.value, got, tt.want)
		}
	}
}

func TestSanitizeTags(t *testing.T) {
	got := sanitizeTags([]string{"service:Linkwatch", "env:prod", "Canary", "_x", "9", "team:", "a b:c,d"})
	want := []string{"service:linkwatch", "env:prod", "canary", "x", "a_b:c_d"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sanitizeTags = %v, want %v", got, want)
	}
}

func FuzzSanitizeTag(f *testing.F) {
	for _, s := range [][2]string{{"region", "eu-west"}, {"_k", "V|,#\n"}, {"a:b", "ü"}, {"", ""}, {"k", "\xff"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		tag := SanitizeTag(key, value)
		if tag == "" {
			return
		}
		if n := utf8.RuneCountInString(tag); n > maxTagLen {
			t.Fatalf("%q has %d characters", tag, n)
		}
		if !utf8.ValidString(tag) || strings.ContainsAny(tag, ",|# \n\r") {
			t.Fatalf("%q would break a datagram", tag)
		}
		first, _ := utf8.DecodeRuneInString(tag)
		if !unicode.IsLetter(first) {
			t.Fatalf("%q does not start with a letter", tag)
		}
		if !strings.Contains(tag, ":") {
			t.Fatalf("%q lost its key", tag)
		}
		for _, r := range tag {
			if unicode.IsUpper(r) && unicode.ToLower(r) != r {
				t.Fatalf("%q is not lower-case", tag)
			}
		}
	})
}
