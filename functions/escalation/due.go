package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// dueFamily is a family due a look in its school's message, every field as the fan-out read
// it from the look index (data.md A110), so the worker can write it back on the condition of
// its version without reading it again. Times are UTC instants; the next look a local day.
type dueFamily struct {
	ID                string     `json:"id"`
	Children          []dueChild `json:"children,omitempty"`
	TrackedSince      time.Time  `json:"trackedSince,omitzero"`
	LastContactAt     time.Time  `json:"lastContactAt,omitzero"`
	LastContactHow    string     `json:"lastContactHow,omitempty"`
	Status            string     `json:"status"`
	MissingSince      time.Time  `json:"missingSince,omitzero"`
	LARaisedAt        time.Time  `json:"laRaisedAt,omitzero"`
	LANotifiedAt      time.Time  `json:"laNotifiedAt,omitzero"`
	Attempts          int        `json:"attempts,omitempty"`
	LastAttemptAt     time.Time  `json:"lastAttemptAt,omitzero"`
	CallDueAt         time.Time  `json:"callDueAt,omitzero"`
	CallKey           string     `json:"callKey,omitempty"`
	CallOwner         string     `json:"callOwner,omitempty"`
	Decision          string     `json:"decision,omitempty"`
	ContactDeclinedAt time.Time  `json:"contactDeclinedAt,omitzero"`
	NextLook          string     `json:"nextLook,omitempty"`
	Version           int        `json:"version"`
}

type dueChild struct {
	Pupil     string `json:"pupil"`
	ClassName string `json:"className,omitempty"`
}

// dueFamiliesOf is the message's form of the families the fan-out found due at a school.
func dueFamiliesOf(fams []contact.Family) []dueFamily {
	out := make([]dueFamily, 0, len(fams))
	for _, f := range fams {
		s := f.Snapshot()
		d := dueFamily{ID: s.ID, TrackedSince: s.TrackedSince.UTC(), LastContactAt: s.LastContactAt.UTC(), LastContactHow: s.LastContactHow,
			Status: string(s.Status), MissingSince: s.MissingSince.UTC(), LARaisedAt: s.LARaisedAt.UTC(), LANotifiedAt: s.LANotifiedAt.UTC(),
			Attempts: s.Attempts, LastAttemptAt: s.LastAttemptAt.UTC(), CallDueAt: s.CallDueAt.UTC(), CallKey: s.CallKey, CallOwner: s.CallOwner,
			Decision: s.Decision, ContactDeclinedAt: s.ContactDeclinedAt.UTC(), Version: s.Version}
		if !s.NextLook.IsZero() {
			d.NextLook = day(s.NextLook)
		}
		for _, c := range s.Children {
			d.Children = append(d.Children, dueChild{Pupil: string(c.Pupil), ClassName: c.ClassName})
		}
		out = append(out, d)
	}
	return out
}

// families reads a message's due families back as the school's, checking each is whole: an
// id, a known status, a version and a next look that are a version and a day.
func families(school safeguarding.SchoolID, in []dueFamily) ([]contact.Family, error) {
	out := make([]contact.Family, 0, len(in))
	seen := map[string]bool{}
	for i, d := range in {
		switch {
		case d.ID == "":
			return nil, fmt.Errorf("family %d: no id", i)
		case seen[d.ID]:
			return nil, fmt.Errorf("family %s: twice", d.ID)
		case d.Status != string(contact.FamilyEngaged) && d.Status != string(contact.FamilyMissing):
			return nil, fmt.Errorf("family %s: status %q", d.ID, d.Status)
		case d.Version < 0 || d.Attempts < 0:
			return nil, fmt.Errorf("family %s: version %d, attempts %d", d.ID, d.Version, d.Attempts)
		}
		seen[d.ID] = true
		s := contact.FamilySnapshot{ID: d.ID, School: school, TrackedSince: d.TrackedSince, LastContactAt: d.LastContactAt,
			LastContactHow: d.LastContactHow, Status: contact.FamilyStatus(d.Status), MissingSince: d.MissingSince, LARaisedAt: d.LARaisedAt,
			LANotifiedAt: d.LANotifiedAt, Attempts: d.Attempts, LastAttemptAt: d.LastAttemptAt, CallDueAt: d.CallDueAt, CallKey: d.CallKey,
			CallOwner: d.CallOwner, Decision: d.Decision, ContactDeclinedAt: d.ContactDeclinedAt, Version: d.Version}
		if d.NextLook != "" {
			next, err := parseDay(d.NextLook)
			if err != nil {
				return nil, fmt.Errorf("family %s: next look: %w", d.ID, err)
			}
			s.NextLook = next
		}
		for _, c := range d.Children {
			if c.Pupil == "" {
				return nil, fmt.Errorf("family %s: %w", d.ID, errors.New("a child with no pupil"))
			}
			s.Children = append(s.Children, contact.FamilyChild{Pupil: safeguarding.PupilID(c.Pupil), ClassName: c.ClassName})
		}
		out = append(out, contact.RestoreFamily(s))
	}
	return out, nil
}
