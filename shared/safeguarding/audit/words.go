package audit

import (
	"fmt"
	"strings"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
)

// actionWords says each action of the audit trail in plain words; an action without words
// here is shown as its own name in words ("visit.changed": "Visit changed").
var actionWords = map[string]string{
	"concern.recorded":           "Recorded a concern",
	"concern.read":               "Opened a concern",
	"report.read":                "Read a report of the school's figures",
	"concern.amended":            "Corrected a concern",
	"concern.revisions.read":     "Read every version of a concern",
	"concern.update-requested":   "Asked what happened",
	"chronology.read":            "Opened a chronology",
	"dashboard.read":             "Opened the dashboard",
	"review.read":                "Opened the review list",
	"action.added":               "Added an action",
	"action.changed":             "Updated an action",
	"actions.read":               "Listed actions",
	"actions.listed":             "Listed actions",
	"attachment.requested":       "Started uploading a file",
	"attachment.verified":        "Checked a file and accepted it",
	"attachment.rejected":        "Checked a file and refused it",
	"attachments.read":           "Listed the files",
	"attachment.opened":          "Opened a file",
	"catalogue.changed":          "Changed the categories",
	"engagement.acknowledged":    "Recorded acknowledgements",
	"families.read":              "Listed the families",
	"family.changed":             "Updated a family",
	"family.missing":             "Logged a family missing",
	"calendar.edited":            "Changed the calendar",
	"family-action.completed":    "Completed an action agreed on a call",
	"family-actions.read":        "Listed the actions agreed on calls",
	"contacts.edit-opened":       "Opened contact details to change them",
	"contacts.viewed":            "Viewed contact details",
	"contacts.view-refused":      "Was refused contact details",
	"contacts.changed":           "Changed contact details",
	"contacts.versions-read":     "Read earlier contact details",
	"contacts.report":            "Opened the contact numbers report",
	"closure-contact.changed":    "Changed a closure contact",
	"closure-contact.designated": "Designated a closure contact",
	"closure-contacts.read":      "Listed the closure contacts",
	"call-list.read":             "Opened the families to call",
	"visit.planned":              "Planned a home visit",
	"visit.changed":              "Updated a home visit",
	"visit.read":                 "Opened a home visit",
	"visits.read":                "Listed the home visits",
	"visit-block.lifted":         "Lifted a block on home visits",
	"visit.address-viewed":       "Viewed a family's address for a visit",
	"family.la-raised":           "Asked the Senior DSL to inform the local authority about a family",
	"due.escalated":              "Sent the reminders of something overdue",
	"contacts.reason-needed":     "Was asked why, past the hour's number of families",
	"audit.verified":             "Checked the audit trail against its seals",
	"settings.changed":           "Changed the school's settings",
	"class.teachers-changed":     "Changed who teaches a class",
	"staff.added":                "Added a member of staff",
	"staff.roles-changed":        "Changed a member of staff's roles",
	"staff.left":                 "Marked a member of staff as leaving",
	"staff.imported":             "Imported the staff export",
	ActionRead:                   "Read the audit trail",
}

// subjectWords names what a subject without an id of its own is.
var subjectWords = map[string]string{
	"dashboard": "The dashboard", "review": "The review list", "actions": "Actions", "engagement": "Acknowledgements",
	"families": "The families", "calendar": "The school calendar", "catalogue": "The categories",
	"closure-contacts": "Closure contacts", "closure-contact": "A closure contact", "visits": "Home visits",
	"visit": "A home visit", "audit": "The audit trail", "pupil": "The chronology",
	"settings": "The school's settings",
	"person":   "A member of staff", "staff-import": "The staff export",
}

// What says an action in plain words.
func What(action string) string {
	if w, ok := actionWords[action]; ok {
		return w
	}
	if kind, ok := strings.CutPrefix(action, "case."); ok {
		return "Changed the case: " + strings.ReplaceAll(kind, "-", " ")
	}
	s := strings.NewReplacer(".", " ", "-", " ").Replace(action)
	if s == "" {
		return "Something"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Who names an actor: the person's name where the product knows it, a job in words
// ("system:escalation": "Escalation job"), or else the actor as written.
func Who(actor string, people map[string]string) string {
	if job, ok := strings.CutPrefix(actor, "system:"); ok && IsJob(actor) {
		words := strings.ReplaceAll(job, "-", " ")
		return strings.ToUpper(words[:1]) + words[1:] + " job"
	}
	if n := people[actor]; n != "" {
		return n
	}
	return actor
}

// On says what an entry read or wrote: a concern by its reference, its files and actions, or
// the list or page by name; never an internal id.
func On(e safeguarding.AuditEntry, n Names) string {
	kind, rest, _ := strings.Cut(e.Subject, "/")
	kind, _, _ = strings.Cut(kind, "?")
	ref := ""
	if id, ok := ConcernOf(e); ok {
		ref = n.Concerns[id].Reference()
	}
	switch kind {
	case "concern":
		if ref == "" {
			return "A concern"
		}
		if strings.Contains(rest, "/attachment/") {
			return "A file on concern " + ref
		}
		return "Concern " + ref
	case "action":
		if _, num, ok := casework.ParseActionID(casework.ActionID(rest)); ok && ref != "" {
			return fmt.Sprintf("Action %s-A%d on concern %s", ref, num, ref)
		}
		return "An action"
	case "family":
		switch {
		case strings.Contains(rest, "/contact-details/versions"):
			return "Earlier contact details of a family"
		case strings.Contains(rest, "/contact-details"):
			return "A family's contact details"
		case strings.Contains(rest, "/action"):
			return "Actions agreed on a call with a family"
		case strings.HasSuffix(rest, "/call"):
			return "A call due to a family"
		}
		return "A family"
	case "report":
		// A report for the governors (a term, "2026-autumn") or Ofsted (a school year, "2026").
		which, period, _ := strings.Cut(rest, "/")
		if which == "ofsted" {
			return "The report for Ofsted, school year starting " + period
		}
		if y, season, ok := strings.Cut(period, "-"); ok {
			return "The report for governors, " + season + " term " + y
		}
		return "The report for governors"
	case "class":
		// A class is named by the school's MIS, never an internal id.
		return "Class " + rest
	case "families":
		switch rest {
		case "missing":
			return "The missing families"
		case "contact-details-report":
			return "The contact numbers report"
		case "call-list":
			return "The families to call"
		}
		return "The families"
	}
	if w, ok := subjectWords[kind]; ok {
		return w
	}
	return "A record"
}

// describe is an entry in plain words, with the names of the pupils it touched.
func describe(e safeguarding.AuditEntry, n Names) Line {
	l := Line{At: e.At, Actor: e.Actor, Who: Who(e.Actor, n.People), Action: e.Action, What: What(e.Action), On: On(e, n)}
	for _, id := range e.Pupils[:min(len(e.Pupils), NamedPupils)] {
		name := "A pupil no longer on the roll"
		if pu, ok := n.Pupils[id]; ok {
			name = pu.Name
		}
		l.Pupils = append(l.Pupils, name)
	}
	l.MorePupils = len(e.Pupils) - len(l.Pupils)
	return l
}
