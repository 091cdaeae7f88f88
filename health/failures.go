package health

import "github.com/linkwatch/linkwatch"

// Next is the latest state of a target's region once result r arrives after
// prev, the stored latest (nil: none), and whether r replaced it. Only a
// result strictly newer than prev replaces it, so results arriving out of
// order never rewrite the count. A failing result counts one more failure
// than a failing predecessor, and 1 after a passing one or none; a passing
// result resets the count to 0.
func Next(prev *linkwatch.Latest, r linkwatch.Result) (linkwatch.Latest, bool) {
	if prev != nil && !r.At.After(prev.At) {
		return *prev, false
	}
	failures := 0
	if !r.OK() {
		failures = 1
		if prev != nil && !prev.OK() {
			failures = prev.Failures + 1
		}
	}
	return linkwatch.Latest{Result: r, Failures: failures}, true
}
