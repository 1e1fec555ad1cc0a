package concerns

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Amendment corrects a concern (rule P4): the fields it sets replace the current ones in a new
// revision; the reason is required; every earlier revision stays readable.
type Amendment struct {
	Category       *string
	Subcategories  *[]string
	ObservedAt     *time.Time
	Details        *string
	PupilWords     *string
	PeopleInvolved *[]string
	Reason         string
}

// Revision is one version of a concern's content: the original (revision 1) or an amendment.
type Revision struct {
	Number         int
	At             time.Time
	By             string
	Reason         string
	Category       safeguarding.Category
	Subcategories  []string
	ObservedAt     time.Time
	Details        string
	PupilWords     string
	PeopleInvolved []string
}

// Revision is the concern's current content as a revision.
func (c Concern) Revision() Revision {
	r := Revision{Number: max(c.revision, 1), At: c.recordedAt, By: c.authorEmail, Category: c.category,
		Subcategories: c.Subcategories(), ObservedAt: c.observedAt, Details: c.details, PupilWords: c.pupilWords,
		PeopleInvolved: c.PeopleInvolved()}
	if c.amended != nil {
		r.At, r.By, r.Reason = c.amended.At, c.amended.By, c.amended.Reason
	}
	return r
}

type amendedBy struct {
	At     time.Time
	By     string
	Reason string
}

// Amend applies an amendment by the concern's author or a DSL who may see it (rule P4). It
// never edits in place: the result is the next revision, and the store keeps the earlier ones.
func (c *Concern) Amend(by safeguarding.Principal, a Amendment, cat Catalogue, now time.Time) error {
	if !c.CanAmend(by) {
		return safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	reason := strings.TrimSpace(a.Reason)
	if reason == "" {
		ps.Add("reason", "say why the record is corrected")
	}
	safeguarding.CheckText(&ps, "reason", reason, safeguarding.MaxNotesChars)
	next := *c
	if a.Category != nil || a.Subcategories != nil {
		category := string(c.category)
		if a.Category != nil {
			category = *a.Category
		}
		subcats := c.subcategories
		if a.Subcategories != nil {
			subcats = *a.Subcategories
		}
		def, ok := cat.Find(safeguarding.Category(category))
		if !ok {
			ps.Add("category", "unknown category %q", category)
		} else {
			next.category, next.subcategories = def.ID, nil
			for _, s := range subcats {
				sub, ok := def.Subcategory(s)
				switch {
				case !ok:
					ps.Add("subcategories", "%q is not a sub-category of %s", s, def.Title)
				case sub.Retired && !slices.Contains(c.subcategories, sub.ID):
					ps.Add("subcategories", "%q is retired and cannot be chosen", sub.Title)
				case !slices.Contains(next.subcategories, sub.ID):
					next.subcategories = append(next.subcategories, sub.ID)
				}
			}
		}
	}
	if a.ObservedAt != nil {
		if a.ObservedAt.After(now.Add(ClockSkew)) {
			ps.Add("observedAt", "cannot be in the future")
		}
		next.observedAt = a.ObservedAt.UTC()
	}
	if a.Details != nil {
		next.details = strings.TrimSpace(*a.Details)
		if next.details == "" {
			ps.Add("details", "write what happened")
		}
		safeguarding.CheckText(&ps, "details", next.details, MaxDetailsChars)
	}
	if a.PupilWords != nil {
		next.pupilWords = strings.TrimSpace(*a.PupilWords)
		safeguarding.CheckText(&ps, "pupilWords", next.pupilWords, MaxPupilWordsChars)
	}
	if a.PeopleInvolved != nil {
		next.peopleInvolved = nil
		for _, n := range *a.PeopleInvolved {
			if n = strings.TrimSpace(n); n != "" {
				safeguarding.CheckText(&ps, "peopleInvolved", n, MaxNameChars)
				next.peopleInvolved = append(next.peopleInvolved, n)
			}
		}
		if len(next.peopleInvolved) > MaxPeopleInvolved {
			ps.Add("peopleInvolved", "at most %d people", MaxPeopleInvolved)
		}
	}
	if err := ps.Err(); err != nil {
		return err
	}
	if next.Revision().sameContent(c.Revision()) {
		return &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "body", Message: "the amendment changes nothing"}}}
	}
	next.revision = max(c.revision, 1) + 1
	next.amended = &amendedBy{At: now.UTC(), By: by.Email, Reason: reason}
	next.version = c.version + 1
	*c = next
	return nil
}

func (r Revision) sameContent(o Revision) bool {
	return r.Category == o.Category && slices.Equal(r.Subcategories, o.Subcategories) && r.ObservedAt.Equal(o.ObservedAt) &&
		r.Details == o.Details && r.PupilWords == o.PupilWords && slices.Equal(r.PeopleInvolved, o.PeopleInvolved)
}

// AmendmentEntries are the chronology entries an amendment adds to each pupil's chronology.
func AmendmentEntries(c Concern, id string) []safeguarding.ChronologyEntry {
	r := c.Revision()
	out := make([]safeguarding.ChronologyEntry, 0, len(c.pupils))
	for _, p := range c.pupils {
		out = append(out, safeguarding.ChronologyEntry{
			ID: id + "#" + string(p.ID), Pupil: p.ID, Type: safeguarding.EntryAmendment, At: r.At, ConcernID: c.id, Reference: c.reference,
			Role: p.Role, Category: c.category, Subcat: c.Subcategories(), HighPriority: c.highPriority, AuthorName: r.By,
			Summary: fmt.Sprintf("Revision %d: %s", r.Number, r.Reason), Visibility: c.Visibility(),
		})
	}
	return out
}
