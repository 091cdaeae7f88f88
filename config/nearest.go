package config

import (
	"fmt"
	"strings"
)

// Nearest returns the candidate closest to word by edit distance (case and
// '-' versus '_' ignored) when it is close enough to be a likely misspelling,
// else "". Ties go to the earlier candidate.
func Nearest(word string, candidates []string) string {
	w := normalize(word)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(w, normalize(c))
		// At most one edit in three characters: "pubic_url" is public_url,
		// "x" is not db.
		if d*3 > max(len(w), len(c)) || d > 4 {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func normalize(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "-", "_")
}

// unknownKey is the message about a key that is none of known: the nearest
// known key when one is close, else the known keys when they are few.
func unknownKey(key string, known []string) string {
	msg := fmt.Sprintf("unknown key `%s`", key)
	if near := Nearest(key, known); near != "" {
		return msg + fmt.Sprintf(" (did you mean `%s`?)", near)
	}
	if len(known) > 0 && len(known) <= 20 {
		msg += " (keys: " + strings.Join(known, ", ") + ")"
	}
	return msg
}

// editDistance is the Levenshtein distance between a and b, in bytes.
// Inputs are bounded by the caller (keys of a configuration file); longer
// ones are cut so a huge key cannot cost quadratic time.
func editDistance(a, b string) int {
	const limit = 256
	a, b = a[:min(len(a), limit)], b[:min(len(b), limit)]
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
