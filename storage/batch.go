package storage

import "github.com/linkwatch/linkwatch"

// TargetKinds returns the target kinds in the order engines list targets of
// several kinds: by kind name.
func TargetKinds() []string {
	return []string{linkwatch.KindFallback, linkwatch.KindLink, linkwatch.KindMonitor}
}

// FoldASCII lowers the ASCII letters of s, as both engines' lower() does
// for the ASCII text they store (slugs, normalised URLs): what a
// case-insensitive search compares.
func FoldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
