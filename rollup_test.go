package linkwatch

import (
	"reflect"
	"testing"
	"time"
)

func TestRollupAddCountsClasses(t *testing.T) {
	classIndex := func(class string) int {
		for i, c := range ErrorClasses {
			if c == class {
				return i
			}
		}
		t.Fatalf("%q is not in ErrorClasses", class)
		return -1
	}
	tests := []struct {
		name     string
		results  []Result
		failures int64
		want     []ClassCount
	}{
		{"no results", nil, 0, nil},
		{"passing checks count no class", []Result{{}, {Degraded: true}}, 0, nil},
		{"one class", []Result{{Class: ClassTimeout}, {}, {Class: ClassTimeout}}, 2,
			[]ClassCount{{ClassTimeout, 2}}},
		{"classes in ErrorClasses' order", []Result{{Class: ClassHTTPStatus}, {Class: ClassDNS},
			{Class: ClassHTTPStatus}, {Class: ClassBlocked}}, 4,
			[]ClassCount{{ClassDNS, 1}, {ClassHTTPStatus, 2}, {ClassBlocked, 1}}},
		{"an unknown class is a failure of no class", []Result{{Class: "gremlins"}, {Class: ClassTLS}}, 2,
			[]ClassCount{{ClassTLS, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Rollup
			for i := range tt.results {
				tt.results[i].Phases.Total = time.Duration(i) * time.Millisecond
				r.Add(&tt.results[i])
			}
			if r.Failures != tt.failures {
				t.Errorf("Failures = %d, want %d", r.Failures, tt.failures)
			}
			if got := r.FailureClasses(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FailureClasses() = %v, want %v", got, tt.want)
			}
			if len(tt.results) == 0 {
				return
			}
			if len(r.Classes) != len(ErrorClasses) {
				t.Fatalf("len(Classes) = %d, want len(ErrorClasses) = %d", len(r.Classes), len(ErrorClasses))
			}
			for _, c := range tt.want {
				if n := r.Classes[classIndex(c.Class)]; n != c.Count {
					t.Errorf("Classes[%s] = %d, want %d", c.Class, n, c.Count)
				}
			}
		})
	}
}

func TestFailureClassesOfAShortOrLongSlice(t *testing.T) {
	// Classes as an older or newer list of classes may leave them: a class
	// past the end of ErrorClasses is left out, a missing one is zero.
	long := make([]int64, len(ErrorClasses)+2)
	long[0], long[len(ErrorClasses)] = 3, 9
	if got, want := (&Rollup{Classes: long}).FailureClasses(), []ClassCount{{ErrorClasses[0], 3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("FailureClasses() of a longer slice = %v, want %v", got, want)
	}
	if got, want := (&Rollup{Classes: []int64{0, 4}}).FailureClasses(), []ClassCount{{ErrorClasses[1], 4}}; !reflect.DeepEqual(got, want) {
		t.Errorf("FailureClasses() of a shorter slice = %v, want %v", got, want)
	}
}
