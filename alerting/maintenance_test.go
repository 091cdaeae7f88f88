package alerting

import (
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without a zone database
)

var promoOnly = []Matcher{{"link", MatchEqual, "promo"}}

func TestMaintenanceValidate(t *testing.T) {
	start := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		w            Maintenance
		field, error string
	}{
		{"one-off", Maintenance{Name: "m", Matchers: promoOnly, Start: start, End: start.Add(time.Hour)}, "", ""},
		{"recurring", Maintenance{Name: "m", Matchers: promoOnly, Cron: "0 2 * * 0", Duration: 2 * time.Hour}, "", ""},
		{"recurring with a zone", Maintenance{Name: "m", Matchers: promoOnly, Cron: "CRON_TZ=Europe/Berlin 0 2 * * SUN", Duration: time.Minute}, "", ""},
		{"descriptor, a week", Maintenance{Name: "m", Matchers: promoOnly, Cron: "@weekly", Duration: 7 * 24 * time.Hour}, "", ""},
		{"no name", Maintenance{Matchers: promoOnly, Cron: "0 2 * * 0", Duration: time.Hour}, "name", "name is required"},
		{"no matchers", Maintenance{Name: "m", Cron: "0 2 * * 0", Duration: time.Hour}, "matchers", "at least one matcher is required"},
		{"matches everything", Maintenance{Name: "m", Matchers: []Matcher{{"link", MatchNotEqual, "promo"}}, Cron: "0 2 * * 0", Duration: time.Hour},
			"matchers", "the matchers would match every alert: at least one must not match a missing label, nor every rule name or every severity"},
		{"no times", Maintenance{Name: "m", Matchers: promoOnly}, "start",
			"a maintenance window needs start and end (one-off) or cron and duration (recurring)"},
		{"both", Maintenance{Name: "m", Matchers: promoOnly, Start: start, End: start.Add(time.Hour), Cron: "0 2 * * 0", Duration: time.Hour}, "cron",
			"a maintenance window is either one-off (start and end) or recurring (cron and duration), not both"},
		{"start and duration", Maintenance{Name: "m", Matchers: promoOnly, Start: start, Duration: time.Hour}, "cron",
			"a maintenance window is either one-off (start and end) or recurring (cron and duration), not both"},
		{"no start", Maintenance{Name: "m", Matchers: promoOnly, End: start}, "start", "start is required with end"},
		{"no end", Maintenance{Name: "m", Matchers: promoOnly, Start: start}, "end", "end is required with start"},
		{"end at start", Maintenance{Name: "m", Matchers: promoOnly, Start: start, End: start}, "end",
			"end (2026-03-01T02:00:00Z) must be after start (2026-03-01T02:00:00Z)"},
		{"no cron", Maintenance{Name: "m", Matchers: promoOnly, Duration: time.Hour}, "cron", "cron is required with duration"},
		{"no duration", Maintenance{Name: "m", Matchers: promoOnly, Cron: "0 2 * * 0"}, "duration", "duration must be from 1m to 7 days (168h); got 0s"},
		{"too short", Maintenance{Name: "m", Matchers: promoOnly, Cron: "0 2 * * 0", Duration: 59 * time.Second}, "duration",
			"duration must be from 1m to 7 days (168h); got 59s"},
		{"too long", Maintenance{Name: "m", Matchers: promoOnly, Cron: "0 2 * * 0", Duration: 7*24*time.Hour + time.Second}, "duration",
			"duration must be from 1m to 7 days (168h); got 168h0m1s"},
		{"bad cron", Maintenance{Name: "m", Matchers: promoOnly, Cron: "0 25 * * *", Duration: time.Hour}, "cron",
			`invalid cron spec "0 25 * * *": end of range (25) above maximum (23): 25`},
		{"bad zone", Maintenance{Name: "m", Matchers: promoOnly, Cron: "CRON_TZ=Mars/Olympus 0 2 * * *", Duration: time.Hour}, "cron",
			`invalid cron spec "CRON_TZ=Mars/Olympus 0 2 * * *": provided bad location Mars/Olympus: unknown time zone Mars/Olympus`},
		{"never fires", Maintenance{Name: "m", Matchers: promoOnly, Cron: "0 2 30 2 *", Duration: time.Hour}, "cron",
			`invalid cron spec "0 2 30 2 *": it never fires`},
		{"@every", Maintenance{Name: "m", Matchers: promoOnly, Cron: "@every 1h", Duration: time.Hour}, "cron",
			`cron spec "@every 1h" must name calendar times, such as "0 2 * * 0"; @every is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.w.Validate()
			if tt.error == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			checkInvalid(t, err, tt.field, tt.error)
		})
	}
}

// march returns a time in UTC on a day of March 2026 (1 March is a Sunday).
func march(day, hour, min, sec int) time.Time {
	return time.Date(2026, 3, day, hour, min, sec, 0, time.UTC)
}

func TestMaintenanceOneOffActive(t *testing.T) {
	w := Maintenance{Name: "m", Matchers: promoOnly, Start: march(1, 2, 0, 0), End: march(1, 4, 0, 0)}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{w.Start.Add(-time.Nanosecond), false},
		{w.Start, true},
		{w.End.Add(-time.Nanosecond), true},
		{w.End, false},
	}
	for _, tt := range tests {
		if got := w.Active(tt.at); got != tt.want {
			t.Errorf("Active(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestMaintenanceRecurringActive(t *testing.T) {
	sunday := Maintenance{Name: "every Sunday 02:00 UTC for 2h", Matchers: promoOnly, Cron: "0 2 * * 0", Duration: 2 * time.Hour}
	tests := []struct {
		name string
		w    Maintenance
		at   time.Time
		want bool
	}{
		{"Sunday 01:59:59", sunday, march(1, 1, 59, 59), false},
		{"Sunday 02:00", sunday, march(1, 2, 0, 0), true},
		{"Sunday 02:00:00.5", sunday, march(1, 2, 0, 0).Add(time.Second / 2), true},
		{"Sunday 03:59", sunday, march(1, 3, 59, 0), true},
		{"Sunday 03:59:59.999", sunday, march(1, 4, 0, 0).Add(-time.Millisecond), true},
		{"Sunday 04:00", sunday, march(1, 4, 0, 0), false},
		{"Saturday 02:00", sunday, march(7, 2, 0, 0), false},
		{"Saturday 03:00", sunday, march(7, 3, 0, 0), false},
		{"Monday 03:00", sunday, march(2, 3, 0, 0), false},
		{"next Sunday 03:00", sunday, march(8, 3, 0, 0), true},
		{"Sunday 03:00 in Berlin's zone is 02:00 UTC", sunday, march(1, 3, 0, 0).In(time.FixedZone("CET", 3600)), true},
		// A week-long window opened on Sunday is still open on Saturday.
		{"a week, Saturday", Maintenance{Name: "m", Matchers: promoOnly, Cron: "0 2 * * 0", Duration: Week}, march(7, 23, 0, 0), true},
		{"a week, last instant", Maintenance{Name: "m", Matchers: promoOnly, Cron: "0 2 * * 0", Duration: Week}, march(8, 2, 0, 0).Add(-time.Nanosecond), true},
		// Overlapping occurrences: every 30 minutes for an hour.
		{"overlapping", Maintenance{Name: "m", Matchers: promoOnly, Cron: "*/30 * * * *", Duration: time.Hour}, march(3, 10, 45, 0), true},
		{"invalid is never active", Maintenance{Name: "m", Matchers: promoOnly, Cron: "0 2 * * 0"}, march(1, 2, 0, 0), false},
	}
	for _, tt := range tests {
		if got := tt.w.Active(tt.at); got != tt.want {
			t.Errorf("%s: Active(%s) = %v, want %v", tt.name, tt.at, got, tt.want)
		}
	}
}

// TestMaintenanceDST: cron times are wall-clock times in CRON_TZ, durations
// are elapsed time. Berlin moves from CET (UTC+1) to CEST (UTC+2) at 02:00
// local on 29 March 2026 and back at 03:00 local on 25 October 2026.
func TestMaintenanceDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	daily3 := Maintenance{Name: "daily 03:00 Berlin for 2h", Matchers: promoOnly, Cron: "CRON_TZ=Europe/Berlin 0 3 * * *", Duration: 2 * time.Hour}
	across := Maintenance{Name: "01:00 Berlin on the night of the change for 3h", Matchers: promoOnly, Cron: "CRON_TZ=Europe/Berlin 0 1 29 3 *", Duration: 3 * time.Hour}
	skipped := Maintenance{Name: "daily 02:30 Berlin for 1h", Matchers: promoOnly, Cron: "CRON_TZ=Europe/Berlin 30 2 * * *", Duration: time.Hour}
	twice := Maintenance{Name: "daily 02:30 Berlin for 30m", Matchers: promoOnly, Cron: "CRON_TZ=Europe/Berlin 30 2 * * *", Duration: 30 * time.Minute}
	october := func(day, hour, min int) time.Time { return time.Date(2026, 10, day, hour, min, 0, 0, time.UTC) }
	tests := []struct {
		name string
		w    Maintenance
		at   time.Time
		want bool
	}{
		// 03:00 CET is 02:00 UTC; 03:00 CEST is 01:00 UTC.
		{"CET, before", daily3, march(28, 1, 59, 0), false},
		{"CET, start", daily3, march(28, 2, 0, 0), true},
		{"CET, 04:59 local", daily3, march(28, 3, 59, 0), true},
		{"CET, end", daily3, march(28, 4, 0, 0), false},
		{"CEST, before", daily3, march(29, 0, 59, 0), false},
		{"CEST, start", daily3, march(29, 1, 0, 0), true},
		{"CEST, given in Berlin time", daily3, time.Date(2026, 3, 29, 3, 0, 0, 0, berlin), true},
		{"CEST, 04:59 local", daily3, march(29, 2, 59, 0), true},
		{"CEST, end", daily3, march(29, 3, 0, 0), false},
		// 01:00 CET is 00:00 UTC; three hours later it is 05:00 CEST.
		{"across, start", across, march(29, 0, 0, 0), true},
		{"across, 04:59 CEST", across, march(29, 2, 59, 0), true},
		{"across, 05:00 CEST", across, march(29, 3, 0, 0), false},
		// 02:30 does not exist on 29 March in Berlin: robfig/cron skips it.
		{"02:30 CET on 28 March", skipped, march(28, 1, 45, 0), true},
		{"no 02:30 on 29 March", skipped, march(29, 1, 15, 0), false},
		{"02:30 CEST on 30 March", skipped, march(30, 0, 45, 0), true},
		// 02:30 exists twice on 25 October: 00:30 UTC (CEST) and 01:30 UTC (CET).
		{"first 02:30", twice, october(25, 0, 45), true},
		{"between", twice, october(25, 1, 15), false},
		{"second 02:30", twice, october(25, 1, 45), true},
	}
	for _, tt := range tests {
		if err := tt.w.Validate(); err != nil {
			t.Fatalf("%s: %v", tt.w.Name, err)
		}
		if got := tt.w.Active(tt.at); got != tt.want {
			t.Errorf("%s: %s: Active(%s) = %v, want %v", tt.w.Name, tt.name, tt.at.UTC(), got, tt.want)
		}
	}

	start, end := daily3.NextWindow(march(28, 12, 0, 0))
	if want := march(29, 1, 0, 0); !start.Equal(want) || !end.Equal(want.Add(2*time.Hour)) {
		t.Errorf("NextWindow after the Saturday window = %s to %s, want %s to %s", start, end, want, want.Add(2*time.Hour))
	}
}

func TestMaintenanceNextWindow(t *testing.T) {
	oneOff := Maintenance{Name: "m", Matchers: promoOnly, Start: march(10, 9, 0, 0), End: march(10, 17, 0, 0)}
	sunday := Maintenance{Name: "m", Matchers: promoOnly, Cron: "0 2 * * 0", Duration: 2 * time.Hour}
	halfHourly := Maintenance{Name: "m", Matchers: promoOnly, Cron: "*/30 * * * *", Duration: time.Hour}
	var zero time.Time
	tests := []struct {
		name       string
		w          Maintenance
		now        time.Time
		start, end time.Time
	}{
		{"one-off ahead", oneOff, march(1, 0, 0, 0), oneOff.Start, oneOff.End},
		{"one-off open", oneOff, march(10, 12, 0, 0), oneOff.Start, oneOff.End},
		{"one-off over", oneOff, oneOff.End, zero, zero},
		{"recurring open", sunday, march(1, 3, 0, 0), march(1, 2, 0, 0), march(1, 4, 0, 0)},
		{"recurring at its start", sunday, march(1, 2, 0, 0), march(1, 2, 0, 0), march(1, 4, 0, 0)},
		{"recurring at its end", sunday, march(1, 4, 0, 0), march(8, 2, 0, 0), march(8, 4, 0, 0)},
		{"recurring ahead", sunday, march(4, 12, 0, 0), march(8, 2, 0, 0), march(8, 4, 0, 0)},
		{"overlapping: the earliest open", halfHourly, march(3, 10, 45, 0), march(3, 10, 0, 0), march(3, 11, 0, 0)},
		{"invalid", Maintenance{Name: "m", Matchers: promoOnly, Cron: "@every 1h", Duration: time.Hour}, march(1, 0, 0, 0), zero, zero},
	}
	for _, tt := range tests {
		start, end := tt.w.NextWindow(tt.now)
		if !start.Equal(tt.start) || !end.Equal(tt.end) {
			t.Errorf("%s: NextWindow(%s) = %s to %s, want %s to %s", tt.name, tt.now, start, end, tt.start, tt.end)
		}
	}
}

// BenchmarkMaintenanceActive: a week-long weekly window asked about six days
// in costs one step of the cron schedule, not a walk over its minutes.
func BenchmarkMaintenanceActive(b *testing.B) {
	w := Maintenance{Name: "m", Matchers: promoOnly, Cron: "CRON_TZ=Europe/Berlin 0 2 * * 0", Duration: Week}
	now := march(7, 23, 0, 0)
	for b.Loop() {
		if !w.Active(now) {
			b.Fatal("not active")
		}
	}
}
