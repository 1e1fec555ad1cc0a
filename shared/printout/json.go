package printout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
)

// The export of everything held about a pupil as JSON (rule D10): for a subject access request
// or a court, so it names no internal id but the pupil's own; the other pupils of the pupil's
// concerns are "another pupil" unless the DSL chose to name them, and never by id.

// ExportJSON is the export's document.
type ExportJSON struct {
	School           string        `json:"school"`
	Pupil            PupilJSON     `json:"pupil"`
	ProducedBy       string        `json:"producedBy"`
	ProducedAt       time.Time     `json:"producedAt"`
	OtherPupilsNamed bool          `json:"otherPupilsNamed"`
	Chronology       []EntryJSON   `json:"chronology"`
	Concerns         []ConcernJSON `json:"concerns"`
	Contacts         []EntryJSON   `json:"contacts"`
	Files            []FileJSON    `json:"files"`
	Archive          *ArchiveJSON  `json:"archive,omitempty"`
	Notes            []string      `json:"notes"`
}

// PupilJSON is the export's own pupil.
type PupilJSON struct {
	Name      string `json:"name"`
	YearGroup string `json:"yearGroup"`
	ClassName string `json:"className"`
}

// EntryJSON is one chronology entry.
type EntryJSON struct {
	At           time.Time `json:"at"`
	Type         string    `json:"type"`
	What         string    `json:"what"`
	Reference    string    `json:"reference,omitempty"`
	Category     string    `json:"category,omitempty"`
	HighPriority bool      `json:"highPriority"`
	Late         bool      `json:"late"`
	By           string    `json:"by"`
	Summary      string    `json:"summary"`
}

// MentionJSON is a pupil as a concern names them.
type MentionJSON struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// VersionJSON is one version of a concern's content.
type VersionJSON struct {
	Version        int       `json:"version"`
	At             time.Time `json:"at"`
	By             string    `json:"by"`
	Reason         string    `json:"reason,omitempty"`
	Category       string    `json:"category"`
	Subcategories  []string  `json:"subcategories"`
	ObservedAt     time.Time `json:"observedAt"`
	Details        string    `json:"details"`
	PupilWords     string    `json:"pupilWords"`
	PeopleInvolved []string  `json:"peopleInvolved"`
}

// ActionJSON is an action on a concern, with its notes, history and outcome.
type ActionJSON struct {
	Type       string      `json:"type"`
	ReferralTo string      `json:"referralTo,omitempty"`
	CreatedAt  time.Time   `json:"createdAt"`
	CreatedBy  string      `json:"createdBy"`
	Assignee   string      `json:"assignee"`
	DueAt      time.Time   `json:"dueAt"`
	Status     string      `json:"status"`
	Notes      string      `json:"notes"`
	Outcome    string      `json:"outcome"`
	History    []EventJSON `json:"history"`
}

// EventJSON is a line of an action's history or a case's decision.
type EventJSON struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	What   string    `json:"what"`
	Reason string    `json:"reason,omitempty"`
}

// ConcernJSON is one concern with every version, its case work and its files.
type ConcernJSON struct {
	Reference    string        `json:"reference"`
	Category     string        `json:"category"`
	HighPriority bool          `json:"highPriority"`
	RecordedAt   time.Time     `json:"recordedAt"`
	RecordedBy   string        `json:"recordedBy"`
	Late         bool          `json:"late"`
	AboutStaff   bool          `json:"aboutStaff"`
	Status       string        `json:"status"`
	Pupils       []MentionJSON `json:"pupils"`
	Versions     []VersionJSON `json:"versions"`
	Actions      []ActionJSON  `json:"actions"`
	Decisions    []EventJSON   `json:"decisions"`
	Files        []FileJSON    `json:"files"`
}

// FileJSON is a file kept with a concern, and where it is in the archive.
type FileJSON struct {
	Concern     string    `json:"concern"`
	Name        string    `json:"name"`
	ContentType string    `json:"contentType"`
	Size        int64     `json:"size"`
	AddedAt     time.Time `json:"addedAt"`
	AddedBy     string    `json:"addedBy"`
	ArchivePath string    `json:"archivePath"`
}

// ArchiveJSON is the archive of the files: a short-lived link to it, or why there is none.
type ArchiveJSON struct {
	URL       string     `json:"url,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	Files     int        `json:"files"`
	Bytes     int64      `json:"bytes"`
	// Missing says why there is no link.
	Missing string `json:"missing,omitempty"`
}

// ArchivePath is where a concern's file is in the archive: a folder per concern by its
// reference, the file by its number on the concern and a name made safe.
func ArchivePath(c exports.ConcernRecord, n int, f concerns.Attachment) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 32 || r == ':' {
			return '_'
		}
		return r
	}, path.Base(f.FileName()))
	if name == "" || name == "." || name == ".." {
		name = "file"
	}
	return fmt.Sprintf("%s/%02d-%s", c.Concern.Reference(), n+1, name)
}

// Export is the record as the export's document, the archive left for the caller to add.
func Export(r exports.Record) ExportJSON {
	out := ExportJSON{School: r.School.Name, ProducedBy: r.By, ProducedAt: r.At.UTC(), OtherPupilsNamed: r.NamesOtherPupils,
		Pupil:      PupilJSON{Name: r.Pupil.Name, YearGroup: r.Pupil.YearGroup, ClassName: r.Pupil.ClassName},
		Chronology: entries(r, r.Entries), Contacts: entries(r, r.Contacts), Concerns: []ConcernJSON{}, Files: []FileJSON{},
		Notes: []string{
			"Times are in UTC.",
			"Other pupils named in the concerns are shown as \"" + exports.AnotherPupil + "\" unless the DSL chose to name them; free text (what happened, the people involved) is as it was written.",
		}}
	for _, c := range r.Concerns {
		con := c.Concern
		cj := ConcernJSON{Reference: con.Reference(), Category: exports.CategoryWords(con.Category()), HighPriority: con.HighPriority(),
			RecordedAt: con.RecordedAt().UTC(), RecordedBy: con.AuthorName(), Late: con.Late(), AboutStaff: con.AboutStaff(),
			Status: string(con.Status()), Pupils: []MentionJSON{}, Versions: []VersionJSON{}, Actions: []ActionJSON{},
			Decisions: []EventJSON{}, Files: []FileJSON{}}
		for _, m := range c.Pupils {
			cj.Pupils = append(cj.Pupils, MentionJSON{Name: m.Name, Role: exports.RoleWords(m.Role)})
		}
		for _, v := range c.Revisions {
			cj.Versions = append(cj.Versions, VersionJSON{Version: v.Number, At: v.At.UTC(), By: r.Name(v.By), Reason: v.Reason,
				Category: exports.CategoryWords(v.Category), Subcategories: orEmpty(v.Subcategories), ObservedAt: v.ObservedAt.UTC(),
				Details: v.Details, PupilWords: v.PupilWords, PeopleInvolved: orEmpty(v.PeopleInvolved)})
		}
		for _, a := range c.Actions {
			aj := ActionJSON{Type: exports.ActionWords(a.Type()), CreatedAt: a.CreatedAt().UTC(), CreatedBy: r.Name(a.CreatedBy()),
				Assignee: r.Name(a.Assignee()), DueAt: a.DueAt().UTC(), Status: string(a.Status()), Notes: a.Notes(),
				Outcome: a.Outcome(), History: []EventJSON{}}
			if a.ReferralTo() != "" {
				aj.ReferralTo = exports.ReferralWords(a.ReferralTo())
			}
			for _, e := range a.History() {
				aj.History = append(aj.History, EventJSON{At: e.At.UTC(), By: r.Name(e.By), What: strings.ReplaceAll(e.Kind, "-", " "), Reason: e.Note})
			}
			cj.Actions = append(cj.Actions, aj)
		}
		for _, d := range c.Decisions {
			cj.Decisions = append(cj.Decisions, EventJSON{At: d.At.UTC(), By: r.Name(d.By), What: exports.DecisionWords(d), Reason: d.Reason})
		}
		for n, f := range c.Files {
			fj := FileJSON{Concern: con.Reference(), Name: f.FileName(), ContentType: f.ContentType(), Size: f.Size(),
				AddedAt: f.At().UTC(), AddedBy: r.Name(f.UploadedBy()), ArchivePath: ArchivePath(c, n, f)}
			cj.Files = append(cj.Files, fj)
			out.Files = append(out.Files, fj)
		}
		out.Concerns = append(out.Concerns, cj)
	}
	return out
}

func entries(r exports.Record, es []safeguarding.ChronologyEntry) []EntryJSON {
	out := []EntryJSON{}
	for _, e := range es {
		ej := EntryJSON{At: e.At.UTC(), Type: string(e.Type), What: exports.EntryWords(e.Type), Reference: e.Reference,
			HighPriority: e.HighPriority, Late: e.Late, By: e.AuthorName, Summary: e.Summary}
		if e.Category != "" {
			ej.Category = exports.CategoryWords(e.Category)
		}
		out = append(out, ej)
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Encode writes the document as indented JSON.
func Encode(doc ExportJSON) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
