package storagetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// noon is the start of the scan data sets, on a whole hour.
func noon() time.Time { return time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC) }

func count(key string, n int64) linkwatch.Count { return linkwatch.Count{Key: key, Count: n} }

func bucket(t time.Time, n int64) linkwatch.ScanBucket { return linkwatch.ScanBucket{T: t, Count: n} }

func insert(t *testing.T, s Store, scans []linkwatch.Scan) {
	t.Helper()
	if err := s.InsertScans(t.Context(), scans); err != nil {
		t.Fatalf("InsertScans: %v", err)
	}
}

func stats(t *testing.T, s Store, q linkwatch.ScanQuery) *linkwatch.ScanStats {
	t.Helper()
	st, err := s.ScanStats(t.Context(), q)
	if err != nil {
		t.Fatalf("ScanStats(%+v): %v", q, err)
	}
	return st
}

func testInsertAllOrNothing(t *testing.T, s Store) {
	l := create(t, s, newLink("", "scanned"))
	if err := s.InsertScans(t.Context(), nil); err != nil {
		t.Errorf("InsertScans(nil): %v", err)
	}
	batch := []linkwatch.Scan{
		{LinkID: l.ID, At: noon(), Source: linkwatch.SourceQR},
		{LinkID: l.ID, At: noon(), Source: "carrier-pigeon"}, // not a source: the store refuses it
		{LinkID: l.ID, At: noon(), Source: linkwatch.SourceLink},
	}
	if err := s.InsertScans(t.Context(), batch); err == nil {
		t.Error("InsertScans accepted a scan with an unknown source")
	}
	q := linkwatch.ScanQuery{LinkID: l.ID, From: noon(), To: noon().Add(time.Hour), Bucket: time.Hour}
	if st := stats(t, s, q); st.Total != 0 {
		t.Errorf("%d scans stored from a failed batch, want 0", st.Total)
	}
	insert(t, s, []linkwatch.Scan{batch[0], batch[2]})
	if st := stats(t, s, q); st.Total != 2 {
		t.Errorf("%d scans stored, want 2", st.Total)
	}
}

func testScanStats(t *testing.T, s Store) {
	l := create(t, s, newLink("", "stats"))
	other := create(t, s, newLink("", "other"))
	at := func(d time.Duration) time.Time { return noon().Add(d).In(zone()) }
	qr, link := linkwatch.SourceQR, linkwatch.SourceLink
	insert(t, s, []linkwatch.Scan{
		{LinkID: l.ID, At: at(0), Source: qr, ReferrerHost: "news.example", Device: linkwatch.DeviceMobile, Country: "DE"},
		{LinkID: l.ID, At: at(30 * time.Second), Source: link, Device: linkwatch.DeviceDesktop},
		// Sub-millisecond precision is dropped: still in the first minute.
		{LinkID: l.ID, At: at(time.Minute - 500*time.Microsecond), Source: qr, ReferrerHost: "news.example", Device: linkwatch.DeviceMobile},
		{LinkID: l.ID, At: at(time.Minute), Source: link, ReferrerHost: "search.example", Device: linkwatch.DeviceBot, Bot: true},
		{LinkID: l.ID, At: at(5 * time.Minute), Source: link, ReferrerHost: "a.example", Device: linkwatch.DeviceTablet, Fallback: true},
		{LinkID: l.ID, At: at(-time.Millisecond), Source: qr, ReferrerHost: "early.example"}, // before From
		{LinkID: l.ID, At: at(10 * time.Minute), Source: qr, ReferrerHost: "late.example"},   // at To: excluded
		{LinkID: other.ID, At: at(time.Minute), Source: qr, ReferrerHost: "other.example"},   // another link
	})
	got := stats(t, s, linkwatch.ScanQuery{LinkID: l.ID, From: at(0), To: at(10 * time.Minute), Bucket: time.Minute})
	want := &linkwatch.ScanStats{
		Total: 5, QR: 2, Link: 3, Bots: 1,
		Series: []linkwatch.ScanBucket{
			{T: noon(), Count: 3},
			{T: noon().Add(time.Minute), Count: 1},
			{T: noon().Add(5 * time.Minute), Count: 1},
		},
		// Ties are ordered by key.
		Referrers: []linkwatch.Count{count("news.example", 2), count("a.example", 1), count("search.example", 1)},
		Devices:   []linkwatch.Count{count("mobile", 2), count("bot", 1), count("desktop", 1), count("tablet", 1)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ScanStats:\n got %+v\nwant %+v", got, want)
	}
	for _, b := range got.Series {
		if b.T.Location() != time.UTC {
			t.Errorf("bucket time %v is not in UTC", b.T)
		}
	}
}

func testScanBuckets(t *testing.T, s Store) {
	l := create(t, s, newLink("", "buckets"))
	var scans []linkwatch.Scan
	for _, d := range []time.Duration{30 * time.Second, 59 * time.Second, time.Minute, 5 * time.Minute, 61 * time.Minute} {
		scans = append(scans, linkwatch.Scan{LinkID: l.ID, At: noon().Add(d), Source: linkwatch.SourceLink})
	}
	insert(t, s, scans)
	// Buckets are aligned to the Unix epoch, not to From.
	eleven := 11 * time.Minute
	epochAligned := func(t time.Time) time.Time {
		return time.UnixMilli(t.UnixMilli() / eleven.Milliseconds() * eleven.Milliseconds()).UTC()
	}
	tests := []struct {
		bucket time.Duration
		want   []linkwatch.ScanBucket
	}{
		{time.Hour, []linkwatch.ScanBucket{bucket(noon(), 4), bucket(noon().Add(time.Hour), 1)}},
		{24 * time.Hour, []linkwatch.ScanBucket{bucket(time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), 5)}},
		{eleven, []linkwatch.ScanBucket{
			bucket(epochAligned(noon().Add(30*time.Second)), 4),
			bucket(epochAligned(noon().Add(61*time.Minute)), 1),
		}},
		{time.Millisecond, []linkwatch.ScanBucket{
			bucket(noon().Add(30*time.Second), 1), bucket(noon().Add(59*time.Second), 1), bucket(noon().Add(time.Minute), 1),
			bucket(noon().Add(5*time.Minute), 1), bucket(noon().Add(61*time.Minute), 1),
		}},
	}
	if epochAligned(noon().Add(30*time.Second)) == noon() {
		t.Fatal("test data: 11-minute buckets must not start on the hour")
	}
	for _, tt := range tests {
		q := linkwatch.ScanQuery{LinkID: l.ID, From: noon().Add(10 * time.Second), To: noon().Add(2 * time.Hour), Bucket: tt.bucket}
		got := stats(t, s, q).Series
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("buckets of %v: got %v, want %v", tt.bucket, got, tt.want)
		}
	}
}

func testTopReferrers(t *testing.T, s Store) {
	l := create(t, s, newLink("", "popular"))
	var scans []linkwatch.Scan
	var want []linkwatch.Count
	// Referrer r00 has 25 scans, r01 24, … r24 one; only the top 20 count.
	for i := range 25 {
		host := fmt.Sprintf("r%02d.example", i)
		for range 25 - i {
			scans = append(scans, linkwatch.Scan{LinkID: l.ID, At: noon(), Source: linkwatch.SourceLink, ReferrerHost: host, Device: linkwatch.DeviceOther})
		}
		if i < 20 {
			want = append(want, linkwatch.Count{Key: host, Count: int64(25 - i)})
		}
	}
	// Scans without a referrer are not a referrer.
	scans = append(scans, linkwatch.Scan{LinkID: l.ID, At: noon(), Source: linkwatch.SourceLink, Device: linkwatch.DeviceOther})
	insert(t, s, scans)
	got := stats(t, s, linkwatch.ScanQuery{LinkID: l.ID, From: noon(), To: noon().Add(time.Hour), Bucket: time.Hour})
	if !reflect.DeepEqual(got.Referrers, want) {
		t.Errorf("Referrers = %v, want %v", got.Referrers, want)
	}
	if wantDev := []linkwatch.Count{count(linkwatch.DeviceOther, int64(len(scans)))}; !reflect.DeepEqual(got.Devices, wantDev) {
		t.Errorf("Devices = %v, want %v", got.Devices, wantDev)
	}
}

func testScanStatsEmpty(t *testing.T, s Store) {
	l := create(t, s, newLink("", "quiet"))
	got := stats(t, s, linkwatch.ScanQuery{LinkID: l.ID, From: noon(), To: noon().Add(time.Hour), Bucket: time.Minute})
	// Empty lists, not nil, so that they encode as [] in JSON.
	want := &linkwatch.ScanStats{Series: []linkwatch.ScanBucket{}, Referrers: []linkwatch.Count{}, Devices: []linkwatch.Count{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ScanStats of a link without scans = %#v, want %#v", got, want)
	}
	_, err := s.ScanStats(t.Context(), linkwatch.ScanQuery{LinkID: l.ID, From: noon(), To: noon().Add(time.Hour)})
	wantCode(t, "ScanStats without a bucket width", err, linkwatch.EINVALID)
}

// testScanCounts: a row standing for several identical scans counts as that
// many everywhere.
func testScanCounts(t *testing.T, s Store) {
	at := noon()
	insert(t, s, []linkwatch.Scan{
		{LinkID: 7, At: at, Source: "qr", Device: "mobile", ReferrerHost: "a.example", Count: 40},
		{LinkID: 7, At: at.Add(time.Minute), Source: "link", Device: "bot", Bot: true, Count: 2},
		{LinkID: 7, At: at.Add(time.Minute), Source: "link", Device: "desktop", ReferrerHost: "b.example"}, // Count 0 is one scan
	})
	got := stats(t, s, linkwatch.ScanQuery{LinkID: 7, From: at, To: at.Add(time.Hour), Bucket: time.Minute})
	want := &linkwatch.ScanStats{
		Total: 43, QR: 40, Link: 3, Bots: 2,
		Series:    []linkwatch.ScanBucket{bucket(at, 40), bucket(at.Add(time.Minute), 3)},
		Referrers: []linkwatch.Count{count("a.example", 40), count("b.example", 1)},
		Devices:   []linkwatch.Count{count("mobile", 40), count("bot", 2), count("desktop", 1)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ScanStats =\n %+v\nwant\n %+v", got, want)
	}
}
