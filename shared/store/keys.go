package store

import (
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
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
	typeRequest    = "request"
	typeOutbox     = "outbox"
)

// Retention of the records that expire (TTL). Nothing else ever expires.
const (
	requestTTL = 24 * time.Hour
	outboxTTL  = 30 * 24 * time.Hour
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
