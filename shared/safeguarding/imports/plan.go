package imports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Existing is a pupil on the school's roll as the last import left them, matched by UPN.
type Existing struct {
	UPN   string
	Pupil safeguarding.PupilID
	// Fingerprint is the fingerprint of the row that last set them: a row with the same one
	// changes nothing.
	Fingerprint string
	Left        bool
	Family      string
	// Name is the pupil's name as the import last gave it (empty on a roll older than names).
	Name string
}

// Options are what the office chose for an import.
type Options struct {
	// Full: the file is the whole school, so a pupil on the roll and absent from it has left.
	Full bool
	// Today is the local date of the import: a leaving date on or before it means left.
	Today time.Time
}

// ChangeKind is what an import does to one pupil.
type ChangeKind string

const (
	Created   ChangeKind = "created"
	Updated   ChangeKind = "updated"
	Unchanged ChangeKind = "unchanged"
	// Leaves: the pupil has left by this import (by their row, or absent from a full file).
	Leaves ChangeKind = "left"
)

// PupilChange is one pupil of the plan.
type PupilChange struct {
	Kind  ChangeKind
	Pupil safeguarding.PupilID
	// Row is the pupil's row; for a pupil absent from a full file, only its UPN.
	Row         Row
	Fingerprint string
	Family      string
	Left        bool
	// FormerName is the name the pupil had before this row renamed them (empty: not renamed).
	FormerName string
}

// FamilyPlan is one family as the file forms it: the pupils who share a contact with
// parental responsibility, with every contact and the first pupil's address. Changed says
// one of its pupils' rows changed, so its record and contact details are written.
type FamilyPlan struct {
	ID       string
	Pupils   []safeguarding.PupilID
	Classes  map[safeguarding.PupilID]string
	Contacts []Contact
	Address  Address
	Changed  bool
}

// Plan is what a file would change: the counts the office sees before applying it, and the
// writes.
type Plan struct {
	Rows                              int
	Created, Updated, Unchanged, Left int
	FamiliesFormed                    int
	Changes                           []PupilChange
	Families                          []FamilyPlan
	Errors                            []RowError
}

// PupilID is the id a pupil first imported with this UPN gets: derived from the school and
// the UPN, so an import cut short and run again gives the same ids, and hashed, so the id
// shows nothing of the UPN.
func PupilID(school safeguarding.SchoolID, upn string) safeguarding.PupilID {
	h := sha256.Sum256([]byte("pupil\x00" + string(school) + "\x00" + upn))
	return safeguarding.PupilID("p-" + hex.EncodeToString(h[:10]))
}

func familyID(school safeguarding.SchoolID, upn string) string {
	h := sha256.Sum256([]byte("family\x00" + string(school) + "\x00" + upn))
	return "f-" + hex.EncodeToString(h[:10])
}

// Fingerprint identifies everything a row says: two rows with the same one write the same.
func Fingerprint(r Row) string {
	r.Line = 0
	h := sha256.Sum256([]byte(fmt.Sprintf("%#v", r)))
	return hex.EncodeToString(h[:16])
}

// Leaving says whether a row's pupil has left at today: a status of left, or a leaving date
// on or before today.
func (r Row) Leaving(today time.Time) bool {
	return r.Left || !r.LeavingDate.IsZero() && !r.LeavingDate.After(safeguarding.LocalDay(today))
}

// Name is how the product names the pupil: the preferred forename, else the forename, then
// the surname.
func (r Row) Name() string {
	first := r.PreferredForename
	if first == "" {
		first = r.Forename
	}
	return strings.TrimSpace(first + " " + r.Surname)
}

// MakePlan matches the file's rows with the roll by UPN and says what each pupil's row does,
// which families the rows form, and who leaves. A pupil whose row failed is left as it is:
// never updated, never leaving by this import.
func MakePlan(school safeguarding.SchoolID, rows []Row, errs []RowError, roll []Existing, opt Options) Plan {
	p := Plan{Rows: len(rows) + failedRows(errs), Errors: errs}
	byUPN := map[string]Existing{}
	for _, e := range roll {
		byUPN[e.UPN] = e
	}
	inFile := map[string]bool{}
	for _, e := range errs {
		if e.UPN != "" {
			inFile[e.UPN] = true
		}
	}
	families := formFamilies(school, rows, byUPN)
	for i, r := range rows {
		inFile[r.UPN] = true
		c := PupilChange{Row: r, Fingerprint: Fingerprint(r), Family: families.of[i], Left: r.Leaving(opt.Today)}
		prev, known := byUPN[r.UPN]
		switch {
		case !known:
			c.Kind, c.Pupil = Created, PupilID(school, r.UPN)
		case prev.Fingerprint == c.Fingerprint && prev.Left == c.Left && prev.Family == c.Family:
			c.Kind, c.Pupil = Unchanged, prev.Pupil
		default:
			c.Kind, c.Pupil = Updated, prev.Pupil
		}
		if known && prev.Name != "" && prev.Name != r.Name() {
			c.FormerName = prev.Name
		}
		if c.Left && (!known || !prev.Left) {
			c.Kind = Leaves
		}
		p.Changes = append(p.Changes, c)
	}
	if opt.Full {
		for _, e := range roll {
			if !inFile[e.UPN] && !e.Left {
				p.Changes = append(p.Changes, PupilChange{Kind: Leaves, Pupil: e.Pupil, Row: Row{UPN: e.UPN}, Fingerprint: e.Fingerprint,
					Family: e.Family, Left: true, FormerName: e.Name})
			}
		}
	}
	changed := map[string]bool{}
	for _, c := range p.Changes {
		switch c.Kind {
		case Created:
			p.Created++
		case Updated:
			p.Updated++
		case Unchanged:
			p.Unchanged++
		case Leaves:
			p.Left++
		}
		if c.Kind != Unchanged && c.Family != "" {
			changed[c.Family] = true
		}
	}
	ids := map[int]safeguarding.PupilID{}
	for i, c := range p.Changes[:len(rows)] {
		ids[i] = c.Pupil
	}
	for _, f := range families.list {
		fp := FamilyPlan{ID: f.id, Classes: map[safeguarding.PupilID]string{}, Changed: changed[f.id]}
		for _, i := range f.rows {
			r := rows[i]
			if rows[i].Leaving(opt.Today) {
				continue // a leaver is not among the family's children the school keeps in touch with
			}
			fp.Pupils = append(fp.Pupils, ids[i])
			fp.Classes[ids[i]] = r.RegGroup
			fp.Contacts = mergeContacts(fp.Contacts, r.Contacts)
			if fp.Address == (Address{}) {
				fp.Address = r.Address
			}
		}
		if len(fp.Pupils) == 0 {
			continue
		}
		if len(fp.Pupils) > 1 {
			p.FamiliesFormed++
		}
		p.Families = append(p.Families, fp)
	}
	return p
}

func failedRows(errs []RowError) int {
	lines := map[int]bool{}
	for _, e := range errs {
		lines[e.Line] = true
	}
	return len(lines)
}

type formed struct {
	of   map[int]string // row -> family id
	list []struct {
		id   string
		rows []int
	}
}

// formFamilies joins the rows whose pupils share a contact with parental responsibility: the
// same person, by the same name and the same phone number or email. Pupils who share nothing
// stay apart, each a family of one. A family keeps the id one of its pupils already had (the
// first in file order), else an id derived from its first pupil's UPN.
func formFamilies(school safeguarding.SchoolID, rows []Row, roll map[string]Existing) formed {
	parent := make([]int, len(rows))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	seen := map[string]int{}
	for i, r := range rows {
		for _, c := range r.Contacts {
			if !c.Responsibility {
				continue
			}
			for _, k := range c.keys() {
				if j, ok := seen[k]; ok {
					if a, b := find(i), find(j); a != b {
						parent[max(a, b)] = min(a, b)
					}
				} else {
					seen[k] = i
				}
			}
		}
	}
	groups := map[int][]int{}
	var roots []int
	for i := range rows {
		root := find(i)
		if _, ok := groups[root]; !ok {
			roots = append(roots, root)
		}
		groups[root] = append(groups[root], i)
	}
	out := formed{of: map[int]string{}}
	used := map[string]bool{}
	for _, root := range roots {
		members := groups[root]
		id := ""
		for _, i := range members {
			if e, ok := roll[rows[i].UPN]; ok && e.Family != "" && !used[e.Family] {
				id = e.Family
				break
			}
		}
		if id == "" {
			id = familyID(school, rows[members[0]].UPN)
		}
		used[id] = true
		for _, i := range members {
			out.of[i] = id
		}
		out.list = append(out.list, struct {
			id   string
			rows []int
		}{id, members})
	}
	return out
}

// keys are the ways a contact is known as one person: their name with each of their numbers,
// and with their email.
func (c Contact) keys() []string {
	name := strings.ToLower(strings.Join(strings.Fields(c.Forename+" "+c.Surname), " "))
	if name == "" {
		return nil
	}
	var out []string
	for _, n := range []string{c.Mobile, c.Home, c.Work} {
		if n != "" {
			out = append(out, name+"|"+n)
		}
	}
	if c.Email != "" {
		out = append(out, name+"|"+c.Email)
	}
	return out
}

// mergeContacts adds the contacts of one more child, leaving out those already there (the
// same person), in priority order.
func mergeContacts(have, more []Contact) []Contact {
	for _, c := range more {
		dup := slices.ContainsFunc(have, func(h Contact) bool {
			return slices.ContainsFunc(h.keys(), func(k string) bool { return slices.Contains(c.keys(), k) })
		})
		if !dup {
			have = append(have, c)
		}
	}
	slices.SortStableFunc(have, func(a, b Contact) int { return prio(a) - prio(b) })
	return have
}

func prio(c Contact) int {
	if c.Priority == 0 {
		return 1 << 20
	}
	return c.Priority
}
