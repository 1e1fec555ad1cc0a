package staff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// ImportReport is what an import of the staff export did, or would do.
type ImportReport struct {
	// Applied is true when the file was written; a preview, or a file with errors sent
	// without asking for its valid rows, writes nothing.
	Applied bool
	// Rows counts the rows read; Created the people new to the school; Updated those on its
	// staff who gain the file's role; Unchanged those who hold it already.
	Rows, Created, Updated, Unchanged int
	Errors                            []RowError
}

// ImportOptions says what to do with the file: Apply writes it (otherwise a preview), and
// ValidRows writes its valid rows even when others have errors.
type ImportOptions struct {
	Apply, ValidRows bool
}

type planned struct {
	row   ImportRow
	roles []safeguarding.Role // the roles at the school after the import
	isNew bool
}

// Import reads the MIS's staff export into the school's staff (rule P1), for the Senior DSL
// and the office: new people are added as teacher or staff (an invitation each, S4, their
// subject recorded, S8) and go on the alert roster; someone on the staff already gains the
// file's role if they lack it and keeps every other. No role is ever taken away by a file,
// and no DSL, Senior DSL or governor is ever made by one. The import is one audit entry,
// naming the file by its hash.
func (s Service) Import(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, data []byte, opt ImportOptions, key safeguarding.RequestKey, fp string) (ImportReport, error) {
	if !opt.Apply {
		key = safeguarding.RequestKey{}
	}
	st, err := s.load(ctx, who, school, key)
	if err != nil {
		return ImportReport{}, err
	}
	if st.Prior != nil {
		return safeguarding.Replayed(*st.Prior, fp, func(p safeguarding.PriorRequest) (ImportReport, error) { return reportOf(p.Receipt), nil })
	}
	rows, errs, err := DecodeImport(data)
	if err != nil {
		return ImportReport{}, err
	}
	rep := ImportReport{Rows: len(rows) + countLines(errs), Errors: errs}
	var plan []planned
	for _, r := range rows {
		role := r.Roles[0]
		i := slices.IndexFunc(st.School.Roster, func(m safeguarding.StaffMember) bool { return m.Email == r.Email && len(m.Roles) > 0 })
		switch {
		case i < 0:
			rep.Created++
			plan = append(plan, planned{row: r, roles: []safeguarding.Role{role}, isNew: true})
		case st.School.Roster[i].Has(role):
			rep.Unchanged++
		default:
			rep.Updated++
			plan = append(plan, planned{row: r, roles: sortRoles(append(slices.Clone(st.School.Roster[i].Roles), role))})
		}
	}
	if !opt.Apply || len(errs) > 0 && !opt.ValidRows {
		return rep, nil
	}
	var newEmails []string
	for _, p := range plan {
		if p.isNew {
			newEmails = append(newEmails, p.row.Email)
		}
	}
	others, err := s.Store.Profiles(ctx, newEmails)
	if err != nil {
		return ImportReport{}, err
	}
	c := Change{School: school, RosterBefore: st.School.Roster, RosterAfter: st.School.Roster}
	for _, p := range plan {
		var before, after safeguarding.Principal
		if p.isNew {
			subject, err := s.Accounts.Invite(ctx, p.row.Email, p.row.Name)
			if err != nil {
				return ImportReport{}, err
			}
			b, existed := others[p.row.Email]
			if existed && b.Subject != "" && b.Subject != subject {
				return ImportReport{}, fmt.Errorf("line %d: the user pool's account for this email is not the one on record: %w", p.row.Line, safeguarding.ErrConflict)
			}
			after = b
			if existed {
				before = b
			} else {
				after = safeguarding.Principal{Email: p.row.Email, Name: p.row.Name}
			}
			after.Subject = subject
			if after.Mobile == "" {
				after.Mobile = p.row.Mobile
			}
		} else {
			before = st.Profiles[p.row.Email]
			after = before
		}
		after = withRoles(after, school, p.roles)
		c.People = append(c.People, PersonChange{Before: before, After: after})
		c.RosterAfter = rosterWith(c.RosterAfter, p.row.Email, p.roles)
	}
	sum := sha256.Sum256(data)
	audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditImported,
		Subject: "staff-import/" + hex.EncodeToString(sum[:8]), At: who.At, Source: who.Source}
	rep.Applied = true
	var req *safeguarding.RequestRecord
	if key.Key != "" {
		req = &safeguarding.RequestRecord{Key: key, Fingerprint: fp, Receipt: receiptOf(rep, who)}
	}
	err = s.Store.SaveStaff(ctx, c, audit, req)
	return safeguarding.SavedOnce(ctx, s.Store, key, fp, rep, err, func(p safeguarding.PriorRequest) (ImportReport, error) { return reportOf(p.Receipt), nil })
}

// countLines counts the lines that have errors.
func countLines(errs []RowError) int {
	seen := map[int]bool{}
	for _, e := range errs {
		seen[e.Line] = true
	}
	return len(seen)
}

// receiptOf keeps an applied import's counts in its request's receipt, so that the same
// request sent again is answered with them (the row errors are the file's, and come again
// with a preview).
func receiptOf(rep ImportReport, who safeguarding.Caller) safeguarding.Receipt {
	return safeguarding.Receipt{ID: "staff-import", RecordedAt: who.At,
		Reference: fmt.Sprintf("%d/%d/%d/%d", rep.Rows, rep.Created, rep.Updated, rep.Unchanged)}
}

func reportOf(r safeguarding.Receipt) ImportReport {
	rep := ImportReport{Applied: true}
	_, _ = fmt.Sscanf(r.Reference, "%d/%d/%d/%d", &rep.Rows, &rep.Created, &rep.Updated, &rep.Unchanged)
	return rep
}
