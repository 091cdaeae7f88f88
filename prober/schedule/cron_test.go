package schedule

import (
	"testing"
	"time"
)

func TestParseCron(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	for _, tc := range []struct {
		spec string
		next time.Time // after at
	}{
		{"*/5 * * * *", time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)},
		{"*/10 * * * * *", time.Date(2026, 3, 14, 9, 27, 0, 0, time.UTC)},
		{"0 9 * * MON-FRI", time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)},
		{"@hourly", time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)},
		{"@every 30s", at.Add(30 * time.Second)},
		{"CRON_TZ=UTC 0 0 * * *", time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
	} {
		sched, err := ParseCron(tc.spec)
		if err != nil {
			t.Errorf("ParseCron(%q): %v", tc.spec, err)
			continue
		}
		// Specs without CRON_TZ are read in UTC whatever the caller's zone.
		if got := sched.Next(at.In(time.FixedZone("UTC+5:30", 5*3600+1800))); !got.Equal(tc.next) {
			t.Errorf("ParseCron(%q).Next(%v) = %v, want %v", tc.spec, at, got, tc.next)
		}
	}
}

func TestParseCronErrors(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"", `invalid cron spec "": empty spec string`},
		{"* * *", `invalid cron spec "* * *": expected 5 to 6 fields, found 3: [* * *]`},
		{"61 * * * *", `invalid cron spec "61 * * * *": end of range (61) above maximum (59): 61`},
		{"@fortnightly", `invalid cron spec "@fortnightly": unrecognized descriptor: @fortnightly`},
		{"@every 5", `invalid cron spec "@every 5": failed to parse duration @every 5: time: missing unit in duration "5"`},
		{"0 0 30 2 *", `invalid cron spec "0 0 30 2 *": it never fires`},
		{"TZ=UTC", `invalid cron spec "TZ=UTC": malformed time zone prefix or fields`},
		{"CRON_TZ=Nowhere/Atlantis * * * * *", `invalid cron spec "CRON_TZ=Nowhere/Atlantis * * * * *": provided bad location Nowhere/Atlantis: unknown time zone Nowhere/Atlantis`},
	} {
		_, err := ParseCron(tc.spec)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseCron(%q) error = %v\nwant %s", tc.spec, err, tc.want)
		}
	}
}

// FuzzParseCron checks that no spec crashes the parser and that every
// accepted spec yields a future time.
func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"*/5 * * * *", "0 */2 * * * *", "@every 1m", "@daily", "TZ=UTC", "CRON_TZ=UTC 1 2 3 4 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		sched, err := ParseCron(spec)
		if err != nil {
			return
		}
		if now := time.Now(); !sched.Next(now).After(now) {
			t.Errorf("ParseCron(%q).Next(now) is not after now", spec)
		}
	})
}

func TestNextSlot(t *testing.T) {
	base := time.Unix(1_700_000_000, 0) // a multiple of 10s
	for _, tc := range []struct {
		at   time.Time
		off  time.Duration
		want time.Time
	}{
		{base, 3 * time.Second, base.Add(3 * time.Second)},
		{base.Add(3 * time.Second), 3 * time.Second, base.Add(13 * time.Second)},
		{base.Add(4 * time.Second), 3 * time.Second, base.Add(13 * time.Second)},
		{base, 0, base.Add(10 * time.Second)},
		{time.Unix(-5, 0), 2 * time.Second, time.Unix(2, 0)},
	} {
		if got := nextSlot(tc.at, 10*time.Second, int64(tc.off)); !got.Equal(tc.want) {
			t.Errorf("nextSlot(%v, 10s, %v) = %v, want %v", tc.at, tc.off, got, tc.want)
		}
	}
}
