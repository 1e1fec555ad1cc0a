package store

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// Entity types, stored in the "type" attribute. The stream filter of the alerts function
// matches type "outbox".
const (
	typeUser       = "user"
	typeSchool     = "school"
	typePupil      = "pupil"
	typePupilName  = "pupil-name"
	typeConcern    = "concern"
	typeChronology = "chronology"
	typeAudit      = "audit"
	typeAuditRef   = "audit-ref"
	typeRequest    = "request"
	typeOutbox     = "outbox"
	typeAction     = "action"
	typeRegistry   = "registry"
	typeRevision   = "revision"
	typeRead       = "read"
	typeCatalogue  = "catalogue"
)

// Retention of the records that expire (TTL). Nothing else ever expires.
const (
	requestTTL = 24 * time.Hour
	outboxTTL  = 30 * 24 * time.Hour
	// openingsTTL keeps an hour's count of contact openings two days past the hour: every
	// opening of the hour reads it, nothing after; the audit entries keep the openings.
	openingsTTL = 48 * time.Hour
)

func userKey(email string) key { return key{PK: "USER#" + email, SK: "PROFILE"} }

func schoolKey(s safeguarding.SchoolID) key { return key{PK: "SCHOOL#" + string(s), SK: "SCHOOL"} }

// pupilPK is the pupil's partition: the pupil record and their chronology, read by one Query.
func pupilPK(s safeguarding.SchoolID, p safeguarding.PupilID) string {
	return "SCHOOL#" + string(s) + "#PUPIL#" + string(p)
}

func pupilKey(s safeguarding.SchoolID, p safeguarding.PupilID) key {
	return key{PK: pupilPK(s, p), SK: "PUPIL"}
}

// chronologySK orders entries by time; the entry id breaks ties.
func chronologySK(at time.Time, id string) string {
	return "CHRON#" + stamp(at) + "#" + id
}

func pupilNamePK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#PUPILNAME" }

func concernKey(s safeguarding.SchoolID, id safeguarding.ConcernID) key {
	return key{PK: "SCHOOL#" + string(s) + "#CONCERN#" + string(id), SK: "CONCERN"}
}

// concernsByTimePK lists a school's concerns newest first (GSI1), for the DSL dashboard.
func concernsByTimePK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#CONCERNS" }

// auditPK spreads a school's audit trail over one partition per day.
func auditPK(s safeguarding.SchoolID, at time.Time) string {
	return "SCHOOL#" + string(s) + "#AUDIT#" + at.In(safeguarding.London).Format(time.DateOnly)
}

func requestKey(k safeguarding.RequestKey) key {
	return key{PK: "SCHOOL#" + string(k.School) + "#REQUEST#" + k.Actor + "#" + k.Key, SK: "REQUEST"}
}

// openingsKey is the families whose contact details one person opened in one school within
// one hour (rule P3, A43): a partition per person, an item per hour.
func openingsKey(s safeguarding.SchoolID, actor string, hour time.Time) key {
	return key{PK: "SCHOOL#" + string(s) + "#OPENINGS#" + actor, SK: "HOUR#" + contact.OpeningHour(hour).Format("2006-01-02T15Z")}
}

func outboxKey(id string) key { return key{PK: "OUTBOX#" + id, SK: "OUTBOX"} }

// stamp is a fixed-width UTC time that sorts as text.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// nameTokens are the lower-cased words of a name a search can start with.
func nameTokens(name string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.Fields(strings.ToLower(name)) {
		f = strings.Trim(f, ".,'\"()")
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func actionKey(s safeguarding.SchoolID, id casework.ActionID) (key, bool) {
	c, n, ok := casework.ParseActionID(id)
	if !ok {
		return key{}, false
	}
	return key{PK: concernKey(s, c).PK, SK: fmt.Sprintf("ACTION#%04d", n)}, true
}

// actionsOfAssigneePK lists one person's actions in a school by status and due time (GSI1).
func actionsOfAssigneePK(s safeguarding.SchoolID, email string) string {
	return "SCHOOL#" + string(s) + "#ASSIGNEE#" + email
}

// actionsOfSchoolPK lists a school's actions by status and due time (GSI3).
func actionsOfSchoolPK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#ACTIONS" }

// actionListSK orders a list by status, then due time.
func actionListSK(status safeguarding.ActionStatus, due time.Time, id casework.ActionID) string {
	return string(status) + "#" + stamp(due) + "#" + string(id)
}

// duePK is the due index's partition (GSI2): one school, one local day of the next look.
func duePK(s safeguarding.SchoolID, day string) string { return "SCHOOL#" + string(s) + "#DUE#" + day }

// dueDay is the local date a due partition is named by.
func dueDay(t time.Time) string { return t.In(safeguarding.London).Format(time.DateOnly) }

// schoolsKey lists every school, for the schedules to visit each.
func schoolsKey(s safeguarding.SchoolID) key { return key{PK: "SCHOOLS", SK: string(s)} }

// casesPK lists a school's open (or closed) cases, oldest first (GSI3), for the SLT review.
func casesPK(s safeguarding.SchoolID, closed bool) string {
	if closed {
		return "SCHOOL#" + string(s) + "#CASES#closed"
	}
	return "SCHOOL#" + string(s) + "#CASES#open"
}

// lowAttendancePK lists a school's pupils below rule C9's threshold, lowest first (GSI3,
// sparse: only a pupil item with an attendance figure under it who has not left).
func lowAttendancePK(s safeguarding.SchoolID) string {
	return "SCHOOL#" + string(s) + "#ATTENDANCE-LOW"
}

// attendanceSK orders pupils by their attendance, truncated to thousandths and zero-padded so
// that the strings sort as the figures do ("005.500", "089.999"), then by id.
func attendanceSK(a float64) string { return fmt.Sprintf("%07.3f", math.Floor(a*1000)/1000) }

// attendanceReasonsPK lists a school's attendance concerns' chronology entries, by pupil then
// time (GSI3, sparse: only entries of concerns of the category Attendance), for C9's list.
func attendanceReasonsPK(s safeguarding.SchoolID) string {
	return "SCHOOL#" + string(s) + "#ATTENDANCE-REASONS"
}
