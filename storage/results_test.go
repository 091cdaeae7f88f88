package storage

import (
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// TestHopsFormat pins the stored JSON of redirect chains: rows written by one
// version of linkwatch are read by the next.
func TestHopsFormat(t *testing.T) {
	hops := []linkwatch.Hop{
		{URL: "https://go.example.com/a", Status: 301, Duration: 1500 * time.Microsecond},
		{URL: "https://example.com/a?x=<y>&z=1", Status: 200, Duration: 1},
	}
	const want = `[{"url":"https://go.example.com/a","status":301,"duration_ns":1500000},` +
		`{"url":"https://example.com/a?x=\u003cy\u003e\u0026z=1","status":200,"duration_ns":1}]`
	if got := string(EncodeHops(hops)); got != want {
		t.Errorf("EncodeHops =\n %s\nwant\n %s", got, want)
	}
	back, err := DecodeHops([]byte(want))
	if err != nil || !reflect.DeepEqual(back, hops) {
		t.Errorf("DecodeHops = %+v, %v; want %+v", back, err, hops)
	}
	for _, empty := range []string{"[]", "null"} {
		if got, err := DecodeHops([]byte(empty)); got != nil || err != nil {
			t.Errorf("DecodeHops(%s) = %#v, %v; want nil", empty, got, err)
		}
	}
	if got := string(EncodeHops(nil)); got != "[]" {
		t.Errorf("EncodeHops(nil) = %s, want []", got)
	}
	if _, err := DecodeHops([]byte("{")); err == nil {
		t.Error("DecodeHops accepted broken JSON")
	}
}

func TestHistogram(t *testing.T) {
	n := len(linkwatch.LatencyBounds) + 1
	for _, stored := range [][]int64{nil, {1, 2}, make([]int64, n)} {
		if got := Histogram(stored); len(got) != n || len(stored) > 0 && got[0] != stored[0] {
			t.Errorf("Histogram(%v) = %v, want %d buckets starting with the stored ones", stored, got, n)
		}
	}
}
