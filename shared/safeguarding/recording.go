package safeguarding

import "time"

const (
	noon   = 12 * 60
	fourPM = 16 * 60
)

// RecordingDeadline is the time by which a concern observed at observedAt must be recorded
// (rule C3): observed before 12:00 -> 12:00 that day; from 12:00 -> 16:00; from 16:00 -> the end
// of that day; on a non-school day or after the end of the school day -> 12:00 of the next
// school day.
func RecordingDeadline(observedAt time.Time, cal Calendar, endOfDayMinutes int) time.Time {
	if endOfDayMinutes <= 0 {
		endOfDayMinutes = DefaultEndOfDayMinutes
	}
	local := observedAt.In(London)
	minute := local.Hour()*60 + local.Minute()
	day := LocalDay(local)
	if !cal.IsSchoolDay(day) || minute >= endOfDayMinutes {
		return At(NextSchoolDay(cal, day), noon)
	}
	switch {
	case minute < noon:
		return At(day, noon)
	case minute < fourPM:
		return At(day, fourPM)
	default:
		return At(day, endOfDayMinutes)
	}
}

// Lateness says whether a record made at recordedAt misses its deadline and by how many whole
// minutes, rounded up (rule C3): a record a second late is one minute late, one exactly on the
// deadline is on time. A late record is accepted, never refused.
func Lateness(deadline, recordedAt time.Time) (late bool, minutes int) {
	over := recordedAt.Sub(deadline)
	if over <= 0 {
		return false, 0
	}
	return true, int((over + time.Minute - 1) / time.Minute)
}
