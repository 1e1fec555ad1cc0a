package concerns

import (
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// ConcernEntries is the chronology entry a concern adds to each of its pupils' chronologies.
func ConcernEntries(c Concern) []safeguarding.ChronologyEntry {
	out := make([]safeguarding.ChronologyEntry, 0, len(c.pupils))
	for _, p := range c.pupils {
		out = append(out, safeguarding.ChronologyEntry{
			ID: string(c.id) + "#" + string(p.ID), Pupil: p.ID, Type: safeguarding.EntryConcern, At: c.recordedAt,
			ConcernID: c.id, Reference: c.reference, Role: p.Role, Category: c.category,
			Subcat: c.Subcategories(), HighPriority: c.highPriority, Late: c.late,
			AuthorName: c.authorName, Summary: c.details, Visibility: c.Visibility(),
		})
	}
	return out
}
