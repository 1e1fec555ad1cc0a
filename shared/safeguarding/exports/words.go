package exports

import (
	"strings"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// The words a reader of a printed or exported record sees: never a rule id or an internal id.

var entryWords = map[safeguarding.EntryType]string{
	safeguarding.EntryConcern:         "Concern",
	safeguarding.EntryAmendment:       "Correction",
	safeguarding.EntryAction:          "Action",
	safeguarding.EntryContact:         "Contact",
	safeguarding.EntryVisit:           "Home visit",
	safeguarding.EntryMissing:         "Family missing",
	safeguarding.EntryContactRestored: "Contact restored",
	safeguarding.EntryLANotification:  "Local authority informed",
	safeguarding.EntryDecision:        "Decision",
	safeguarding.EntryTransfer:        "Transfer",
}

// EntryWords names an entry's type.
func EntryWords(t safeguarding.EntryType) string {
	if w, ok := entryWords[t]; ok {
		return w
	}
	return sentence(strings.NewReplacer("_", " ", "-", " ").Replace(string(t)))
}

var actionWords = map[casework.ActionType]string{
	casework.ActionDSL:           "DSL action",
	casework.ActionParentMeeting: "Meeting with parents",
	casework.ActionMonitoring:    "Monitoring",
	casework.ActionReferral:      "Referral",
	casework.ActionCheckIn:       "Check-in",
}

// ActionWords names an action's type.
func ActionWords(t casework.ActionType) string {
	if w, ok := actionWords[t]; ok {
		return w
	}
	return sentence(strings.ReplaceAll(string(t), "-", " "))
}

var referralWords = map[string]string{
	"childrens-social-care": "Children's social care",
	"early-help":            "Early help",
	"police":                "Police",
	"lado":                  "LADO (local authority designated officer)",
}

// ReferralWords names where a referral went.
func ReferralWords(to string) string {
	if w, ok := referralWords[to]; ok {
		return w
	}
	return sentence(strings.ReplaceAll(to, "-", " "))
}

// DecisionWords names a case's decision.
func DecisionWords(e concerns.CaseEvent) string {
	switch e.Kind {
	case concerns.CaseClosedEvent:
		return "Case closed"
	case concerns.CaseReopened:
		return "Case reopened"
	case concerns.CaseMarkedComplex:
		return "Marked complex"
	case concerns.CaseNotComplex:
		return "No longer marked complex"
	case concerns.CaseReviewed:
		if e.Decision == concerns.DecisionClose {
			return "Reviewed: closed"
		}
		return "Reviewed: kept open"
	}
	return sentence(strings.ReplaceAll(e.Kind, "-", " "))
}

// RoleWords names a pupil's part in a concern.
func RoleWords(r safeguarding.PupilRole) string {
	switch r {
	case safeguarding.RoleSubject, "":
		return "the pupil it is about"
	case safeguarding.RoleInvolved:
		return "involved"
	case safeguarding.RoleWitness:
		return "a witness"
	}
	return strings.ReplaceAll(string(r), "-", " ")
}

// policy is the policy's catalogue, whose titles name the categories.
var policy = concerns.PolicyCatalogue()

// CategoryWords names a category by the policy's title.
func CategoryWords(c safeguarding.Category) string {
	if d, ok := policy.Find(c); ok {
		return d.Title
	}
	return sentence(strings.ReplaceAll(string(c), "-", " "))
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
