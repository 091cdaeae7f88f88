package main

import (
	"strings"
	"testing"
)

// pageReady reads the bars as the status page writes them: an svg of class
// "bar" (with more classes or without) holding one rect per day.
func TestPageReady(t *testing.T) {
	bar := func(class string, days, empty int) string {
		var b strings.Builder
		b.WriteString(`<span class="comp-name">c</span><svg class="` + class + `" viewBox="0 0 448 34">`)
		for i := range days {
			c := "u1"
			if i < empty {
				c = "u0"
			}
			b.WriteString(`<rect x="1" width="3" height="34" class="` + c + `"><title>day</title></rect>`)
		}
		b.WriteString(`</svg>`)
		return b.String()
	}
	for _, tc := range []struct {
		name string
		page string
		ok   bool
	}{
		{"two full bars", bar("bar wide", 90, 0) + bar("bar", 90, 1), true},
		{"a bar without data", bar("bar wide", 90, 0) + bar("bar wide", 90, 90), false},
		{"a short bar", bar("bar wide", 90, 0) + bar("bar wide", 30, 0), false},
		{"one component", bar("bar wide", 90, 0), false},
		{"not a bar", bar("barchart", 90, 0) + bar("barchart", 90, 0), false},
	} {
		if ok, why := pageReady([]byte(tc.page), 2); ok != tc.ok {
			t.Errorf("%s: pageReady = %v (%s), want %v", tc.name, ok, why, tc.ok)
		}
	}
}
