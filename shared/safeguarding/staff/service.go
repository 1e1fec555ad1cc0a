package staff

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Audit actions of the staff use cases (rule P4).
const (
	AuditAdded        = "staff.added"
	AuditRolesChanged = "staff.roles-changed"
	AuditLeft         = "staff.left"
	AuditImported     = "staff.imported"
)

// Change is what one staff command writes: each person's profile as it was read (Before,
// with no Email for a profile that did not exist) and as it becomes, and the school's roster
// as it was read and as it becomes. The store writes it all in one transaction (several for
// an import), on the condition that nobody changed the profiles' roles or the roster since
// they were read (safeguarding.ErrConflict).
type Change struct {
	School                    safeguarding.SchoolID
	People                    []PersonChange
	RosterBefore, RosterAfter []safeguarding.StaffMember
}

// PersonChange is one profile before and after.
type PersonChange struct {
	Before, After safeguarding.Principal
}

// Store is what the staff use cases need of storage.
type Store interface {
	// LoadStaff reads the viewer, the school, its roster's profiles and any earlier request
	// with key.
	LoadStaff(ctx context.Context, viewer string, school safeguarding.SchoolID, key safeguarding.RequestKey) (Staffing, error)
	// Profiles reads the profiles of emails (absent ones left out), to find someone who works
	// in another school of the federation already.
	Profiles(ctx context.Context, emails []string) (map[string]safeguarding.Principal, error)
	SaveStaff(ctx context.Context, c Change, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
	// EndSessions ends every web session of the person at.
	EndSessions(ctx context.Context, email string, at time.Time) error
}

// Accounts is the identity provider's user pool, as an administrator uses it.
type Accounts interface {
	// Invite makes the person's account, which sends them an invitation by email (they set
	// their password and their second factor at first sign-in, rule S4), or enables the
	// account they have; it returns the account's immutable subject (rule S8).
	Invite(ctx context.Context, email, name string) (subject string, err error)
	// Disable disables the account and signs it out of every device.
	Disable(ctx context.Context, email string) error
}

// Service holds the staff use cases.
type Service struct {
	Store    Store
	Accounts Accounts
	NewID    func(time.Time) string
}

// List is the school's staff with their roles, for the Senior DSL and the office.
func (s Service) List(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (Staffing, []Member, error) {
	st, err := s.Store.LoadStaff(ctx, who.Email, school, safeguarding.RequestKey{})
	if err != nil {
		return Staffing{}, nil, err
	}
	if !safeguarding.AccessFor(st.Viewer, school).Staff {
		return Staffing{}, nil, safeguarding.ErrForbidden
	}
	return st, st.Members(), nil
}

func (s Service) load(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, key safeguarding.RequestKey) (Staffing, error) {
	st, err := s.Store.LoadStaff(ctx, who.Email, school, key)
	if err != nil {
		return Staffing{}, err
	}
	if !safeguarding.AccessFor(st.Viewer, school).Staff {
		return Staffing{}, safeguarding.ErrForbidden
	}
	return st, nil
}

func (s Service) request(key safeguarding.RequestKey, fp, id string, at time.Time) *safeguarding.RequestRecord {
	if key.Key == "" {
		return nil
	}
	return &safeguarding.RequestRecord{Key: key, Fingerprint: fp, Receipt: safeguarding.Receipt{ID: id, RecordedAt: at}}
}

// answer is the member of staff person is now (no roles when they left), for a replayed request.
func (s Service) answer(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, person string) (Member, error) {
	st, err := s.Store.LoadStaff(ctx, who.Email, school, safeguarding.RequestKey{})
	if err != nil {
		return Member{}, err
	}
	if m, ok := st.Member(person); ok {
		return m, nil
	}
	return Member{Person: person}, nil
}

// Add adds a member of staff with their roles at school (rule P1): the Senior DSL with any
// roles, the office with roles other than DSL, Senior DSL and governor. Their account is made
// in the user pool (an invitation, S4), or enabled if they had one, its subject recorded on
// their profile (S8), and they go on the school's alert roster. Someone who works in another
// school of the federation keeps their roles there.
func (s Service) Add(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, n NewMember, key safeguarding.RequestKey, fp string) (Member, error) {
	st, err := s.load(ctx, who, school, key)
	if err != nil {
		return Member{}, err
	}
	if st.Prior != nil {
		return safeguarding.Replayed(*st.Prior, fp, func(p safeguarding.PriorRequest) (Member, error) { return s.answer(ctx, who, school, p.Receipt.ID) })
	}
	n, err = n.check()
	if err != nil {
		return Member{}, err
	}
	if !CanChange(st.Viewer, school, nil, n.Roles) {
		return Member{}, fmt.Errorf("only the Senior DSL gives the roles of DSL, Senior DSL and governor: %w", safeguarding.ErrForbidden)
	}
	if st.School.HasStaff(n.Email) {
		return Member{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "email",
			Message: "this person is on the school's staff already: change their roles instead"}}}
	}
	found, err := s.Store.Profiles(ctx, []string{n.Email})
	if err != nil {
		return Member{}, err
	}
	before, existed := found[n.Email]
	subject, err := s.Accounts.Invite(ctx, n.Email, n.Name)
	if err != nil {
		return Member{}, err
	}
	if existed && before.Subject != "" && before.Subject != subject {
		return Member{}, fmt.Errorf("the user pool's account for this email is not the one on record: %w", safeguarding.ErrConflict)
	}
	after := before
	if !existed {
		before = safeguarding.Principal{}
		after = safeguarding.Principal{Email: n.Email}
	}
	after.Subject, after.Name = subject, n.Name
	if n.Mobile != "" {
		after.Mobile = n.Mobile
	}
	after = withRoles(after, school, n.Roles)
	c := Change{School: school, People: []PersonChange{{Before: before, After: after}},
		RosterBefore: st.School.Roster, RosterAfter: rosterWith(st.School.Roster, n.Email, n.Roles)}
	audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditAdded,
		Subject: "person/" + subject, At: who.At, Source: who.Source}
	made := Member{Person: subject, Email: n.Email, Name: n.Name, Mobile: after.Mobile, Roles: n.Roles}
	err = s.Store.SaveStaff(ctx, c, audit, s.request(key, fp, subject, who.At))
	return safeguarding.SavedOnce(ctx, s.Store, key, fp, made, err, func(p safeguarding.PriorRequest) (Member, error) {
		return s.answer(ctx, who, school, p.Receipt.ID)
	})
}

// ChangeRoles gives person these roles at school instead of the ones they hold (rule P1),
// as CanChange allows. Every request reads the person's roles afresh, so the change applies
// from their next request. The school keeps a Senior DSL.
func (s Service) ChangeRoles(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, person string, roles []safeguarding.Role, key safeguarding.RequestKey, fp string) (Member, error) {
	st, err := s.load(ctx, who, school, key)
	if err != nil {
		return Member{}, err
	}
	if st.Prior != nil {
		return safeguarding.Replayed(*st.Prior, fp, func(p safeguarding.PriorRequest) (Member, error) { return s.answer(ctx, who, school, p.Receipt.ID) })
	}
	m, ok := st.Member(person)
	if !ok {
		return Member{}, fmt.Errorf("member of staff: %w", safeguarding.ErrNotFound)
	}
	roles, err = checkRoles(roles)
	if err != nil {
		return Member{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "roles", Message: err.Error()}}}
	}
	if !CanChange(st.Viewer, school, m.Roles, roles) {
		return Member{}, fmt.Errorf("only the Senior DSL gives or takes away the roles of DSL, Senior DSL and governor: %w", safeguarding.ErrForbidden)
	}
	if slices.Equal(roles, m.Roles) {
		return m, nil
	}
	return s.save(ctx, who, st, m, roles, AuditRolesChanged, key, fp)
}

// Leave records that person no longer works at school, from now (rule P1): their roles there
// end and they come off its alert roster the same day; when they work at no other school of
// the federation, their account is disabled and signed out everywhere and their web sessions
// end. Their records stay. The office may not mark a DSL, the Senior DSL or the governor as
// leaving: the Senior DSL does.
func (s Service) Leave(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, person string, key safeguarding.RequestKey, fp string) (Member, error) {
	st, err := s.load(ctx, who, school, key)
	if err != nil {
		return Member{}, err
	}
	if st.Prior != nil {
		return safeguarding.Replayed(*st.Prior, fp, func(p safeguarding.PriorRequest) (Member, error) { return s.answer(ctx, who, school, p.Receipt.ID) })
	}
	m, ok := st.Member(person)
	if !ok {
		return Member{}, fmt.Errorf("member of staff: %w", safeguarding.ErrNotFound)
	}
	if !CanChange(st.Viewer, school, m.Roles, nil) {
		return Member{}, fmt.Errorf("only the Senior DSL marks a DSL, the Senior DSL or the governor as leaving: %w", safeguarding.ErrForbidden)
	}
	return s.save(ctx, who, st, m, nil, AuditLeft, key, fp)
}

// save writes m's new roles at the school (none: they leave), keeping the school's Senior DSL,
// and keeps their account in step.
func (s Service) save(ctx context.Context, who safeguarding.Caller, st Staffing, m Member, roles []safeguarding.Role, action string, key safeguarding.RequestKey, fp string) (Member, error) {
	school := st.School.ID
	roster := rosterWith(st.School.Roster, m.Email, roles)
	if !hasSeniorDSL(roster) {
		return Member{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "roles",
			Message: "the school would have no Senior DSL: give the role to someone else first"}}}
	}
	before := st.Profiles[m.Email]
	after := withRoles(before, school, roles)
	gone := len(after.Memberships) == 0
	if gone {
		// Before the write: a failure here leaves them as they were, and the request can be sent again.
		if err := s.Accounts.Disable(ctx, m.Email); err != nil {
			return Member{}, err
		}
	}
	c := Change{School: school, People: []PersonChange{{Before: before, After: after}}, RosterBefore: st.School.Roster, RosterAfter: roster}
	audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: action,
		Subject: "person/" + m.Person, At: who.At, Source: who.Source}
	made := m
	made.Roles = roles
	err := s.Store.SaveStaff(ctx, c, audit, s.request(key, fp, m.Person, who.At))
	if err == nil && gone {
		err = s.Store.EndSessions(ctx, m.Email, who.At)
	}
	return safeguarding.SavedOnce(ctx, s.Store, key, fp, made, err, func(p safeguarding.PriorRequest) (Member, error) {
		return s.answer(ctx, who, school, p.Receipt.ID)
	})
}
