package datadog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTagLen is DataDog's limit on a tag, in characters; maxKeyLen leaves
// room in it for the value.
const (
	maxTagLen = 200
	maxKeyLen = 100
)

// SanitizeTag returns key:value as a valid DataDog tag, or "" when nothing
// valid is left (an empty key or value), following DataDog's tag rules:
//
//   - letters are lower-cased (DataDog would do it, and would then merge
//     tags that differ only in case: short-link slugs Promo and promo share
//     link:promo);
//   - letters, digits, '_', '-', ':', '.' and '/' are kept, Unicode letters
//     and digits included; every other character becomes '_', which also
//     keeps DogStatsD's separators (',', '|', '#', newlines) out of a tag;
//   - a tag starts with a letter: leading characters of the key that are not
//     letters are dropped (a label _team becomes team), and a colon in the
//     key becomes '_' so the value starts after the first colon;
//   - the key is cut at 100 characters and the tag at 200.
func SanitizeTag(key, value string) string {
	// A colon in the key would move the key/value boundary.
	k := strings.ReplaceAll(sanitize(key), ":", "_")
	k = truncateRunes(strings.TrimLeftFunc(k, func(r rune) bool { return !unicode.IsLetter(r) }), maxKeyLen)
	v := sanitize(value)
	if k == "" || v == "" {
		return ""
	}
	return truncateRunes(k+":"+v, maxTagLen)
}

// sanitizeTags sanitises whole tags ("key:value" or "value"), dropping those
// left empty.
func sanitizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		k, v, ok := strings.Cut(t, ":")
		if !ok {
			// A value-only tag must start with a letter too.
			if v := strings.TrimLeftFunc(sanitize(t), func(r rune) bool { return !unicode.IsLetter(r) }); v != "" {
				out = append(out, truncateRunes(v, maxTagLen))
			}
			continue
		}
		if s := SanitizeTag(k, v); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// appendTag appends SanitizeTag(key, value) to tags unless it is empty.
func appendTag(tags []string, key, value string) []string {
	if t := SanitizeTag(key, value); t != "" {
		tags = append(tags, t)
	}
	return tags
}

func sanitize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			b.WriteRune(unicode.ToLower(r))
		case unicode.IsDigit(r), r == '_', r == '-', r == ':', r == '.', r == '/':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// truncate cuts s to at most n bytes without splitting a character, marking
// the cut with an ellipsis.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	if n < len(ellipsis) {
		return ""
	}
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
