// Package school creates a school of the federation and its first Senior DSL: what
// `make newschool` does (infra/newschool), for the command and for the tests that need a
// school made as a new one is.
package school

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// School is the school to create and its first Senior DSL.
type School struct {
	ID, Name                              string
	SeniorEmail, SeniorName, SeniorMobile string
}

var schoolID = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// Create writes the school (its settings the defaults, its roster the Senior DSL), makes or
// enables the Senior DSL's account and records its subject on their profile, which keeps any
// roles they hold at other schools of the federation. A school that exists already is
// refused, and nothing is changed. It returns the Senior DSL's subject.
func Create(ctx context.Context, st *store.Store, accounts staff.Accounts, in School, now time.Time) (string, error) {
	var ps safeguarding.Problems
	if !schoolID.MatchString(in.ID) {
		ps.Add("school", "lower-case letters, digits and hyphens, 1 to 40 of them, like brook-lane")
	}
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	if in.Name == "" || len(in.Name) > 100 {
		ps.Add("name", "the school's name, at most 100 characters")
	}
	if err := ps.Err(); err != nil {
		return "", err
	}
	if _, err := st.School(ctx, safeguarding.SchoolID(in.ID)); err == nil {
		return "", fmt.Errorf("school %s exists already: its Senior DSL adds people on the staff page", in.ID)
	} else if !errors.Is(err, safeguarding.ErrNotFound) {
		return "", err
	}
	school := safeguarding.SchoolID(in.ID)
	n, err := staff.NewMember{Name: in.SeniorName, Email: in.SeniorEmail, Mobile: in.SeniorMobile,
		Roles: []safeguarding.Role{safeguarding.RoleSeniorDSL, safeguarding.RoleDSL, safeguarding.RoleStaff}}.Checked()
	if err != nil {
		return "", err
	}
	found, err := st.Profiles(ctx, []string{n.Email})
	if err != nil {
		return "", err
	}
	before, existed := found[n.Email]
	subject, err := accounts.Invite(ctx, n.Email, n.Name)
	if err != nil {
		return "", err
	}
	if existed && before.Subject != "" && before.Subject != subject {
		return "", errors.New("the user pool's account for this email is not the one on record")
	}
	after := before
	if !existed {
		before, after = safeguarding.Principal{}, safeguarding.Principal{Email: n.Email}
	}
	after.Subject, after.Name = subject, n.Name
	if n.Mobile != "" {
		after.Mobile = n.Mobile
	}
	after.Memberships = map[safeguarding.SchoolID][]safeguarding.Role{}
	for s, rs := range before.Memberships {
		after.Memberships[s] = rs
	}
	after.Memberships[school] = n.Roles
	if err := st.PutSchool(ctx, safeguarding.School{ID: school, Name: in.Name, EndOfDayMinutes: safeguarding.DefaultEndOfDayMinutes}); err != nil {
		return "", err
	}
	roster := []safeguarding.StaffMember{{Email: n.Email, Roles: n.Roles}}
	audit := safeguarding.AuditEntry{ID: store.NewID(now), School: school, Actor: "keepsafe-setup", Action: staff.AuditAdded,
		Subject: "person/" + subject, At: now, Source: "infra/newschool"}
	return subject, st.SaveStaff(ctx, staff.Change{School: school, People: []staff.PersonChange{{Before: before, After: after}}, RosterAfter: roster}, audit, nil)
}
