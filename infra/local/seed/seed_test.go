package seed

import (
	"context"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

func TestDemoCoversEveryRoleInEachSchool(t *testing.T) {
	d := Demo()
	for _, s := range []safeguarding.SchoolID{BrookLane, Hillcrest} {
		for _, r := range safeguarding.Roles {
			if !slices.ContainsFunc(d.Users, func(u safeguarding.Principal) bool { return u.Has(s, r) }) {
				t.Errorf("%s has nobody with role %s", s, r)
			}
		}
	}
}

func TestDemoPeople(t *testing.T) {
	d := Demo()
	both, dslTeacher := 0, 0
	seen := map[string]bool{}
	for _, u := range d.Users {
		if e, ok := safeguarding.NormaliseEmail(u.Email); !ok || e != u.Email {
			t.Errorf("email %q is not normalised", u.Email)
		}
		if seen[u.Email] {
			t.Errorf("duplicate user %s", u.Email)
		}
		seen[u.Email] = true
		if u.IsMember(BrookLane) && u.IsMember(Hillcrest) {
			both++
		}
		for s := range u.Memberships {
			if u.Has(s, safeguarding.RoleDSL) && u.Has(s, safeguarding.RoleTeacher) {
				dslTeacher++
			}
		}
	}
	if both == 0 {
		t.Error("nobody works in both schools")
	}
	if dslTeacher == 0 {
		t.Error("no DSL who is also a teacher")
	}
	for _, s := range d.Schools {
		for _, u := range d.Users {
			if u.IsMember(s.ID) != s.HasStaff(u.Email) {
				t.Errorf("%s roster and memberships disagree", s.ID)
			}
		}
	}
}

func TestDemoPupilsAndFamilies(t *testing.T) {
	d := Demo()
	per := map[safeguarding.SchoolID]int{}
	ids := map[string]bool{}
	for _, p := range d.Pupils {
		per[p.School]++
		k := string(p.School) + "/" + string(p.ID)
		if ids[k] {
			t.Errorf("duplicate pupil %s", k)
		}
		ids[k] = true
		if p.ClassName == "" || p.YearGroup == "" || p.FamilyID == "" {
			t.Errorf("pupil %s is missing a class, year or family", k)
		}
	}
	for s, n := range per {
		if n < 18 || n > 25 {
			t.Errorf("%s has %d pupils, want about 20", s, n)
		}
	}
	phone := regexp.MustCompile(`^07700 900\d{3}$`)
	across, siblings := 0, 0
	for _, f := range d.Families {
		if len(f.Phones) != 2 {
			t.Errorf("family %s has %d phone numbers", f.ID, len(f.Phones))
		}
		for _, ph := range f.Phones {
			if !phone.MatchString(ph) {
				t.Errorf("family %s: %q is not a drama number", f.ID, ph)
			}
		}
		if len(f.Pupils) > 1 {
			siblings++
		}
		schools := map[safeguarding.SchoolID]bool{}
		for _, p := range d.Pupils {
			if p.FamilyID == f.ID {
				schools[p.School] = true
			}
		}
		if len(schools) > 1 {
			across++
		}
	}
	if siblings == 0 || across == 0 {
		t.Errorf("siblings in %d families, %d families across both schools", siblings, across)
	}
}

type recorder struct{ schools, users, pupils int }

func (r *recorder) PutSchool(context.Context, safeguarding.School) error  { r.schools++; return nil }
func (r *recorder) PutUser(context.Context, safeguarding.Principal) error { r.users++; return nil }
func (r *recorder) PutPupil(context.Context, safeguarding.Pupil) error    { r.pupils++; return nil }

func TestApplyWritesEverything(t *testing.T) {
	d := Demo()
	var r recorder
	if err := Apply(context.Background(), &r, d); err != nil {
		t.Fatal(err)
	}
	if r.schools != len(d.Schools) || r.users != len(d.Users) || r.pupils != len(d.Pupils) {
		t.Errorf("wrote %+v", r)
	}
}

// rule H1, P3: every demo family has an address and two numbers; two families have fewer than
// two up-to-date ones, so the report has something to show; a non-DSL in each school is
// designated for closure contact.
func TestRule_H1_DemoContactDetails(t *testing.T) {
	d := Demo()
	details := ContactDetails(d)
	if len(details) != len(FamilyRecords(d)) {
		t.Fatalf("%d contact details for %d family records", len(details), len(FamilyRecords(d)))
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, safeguarding.London)
	within := contact.DefaultUpToDateDays * 24 * time.Hour
	short := map[string]bool{}
	for _, c := range details {
		if len(c.Phones()) != 2 || len(c.Address().Lines) == 0 || c.Address().Postcode == "" || c.Version() != 1 || c.Reason() == "" || len(c.Pupils()) == 0 {
			t.Errorf("%s/%s: %+v", c.School(), c.Family(), c)
		}
		if pc, ok := contact.NormalisePostcode(c.Address().Postcode); !ok || pc != c.Address().Postcode {
			t.Errorf("%s: postcode %q", c.Family(), c.Address().Postcode)
		}
		for _, p := range c.Phones() {
			if n, ok := safeguarding.NormalisePhone(p.Number); !ok || n != p.Number {
				t.Errorf("%s: number %q is not in the stored form", c.Family(), p.Number)
			}
		}
		if c.ShortOfNumbers(now, within) {
			short[c.Family()] = true
		}
	}
	if len(short) != 2 || !short["fam-05"] || !short["fam-13"] {
		t.Errorf("families short of numbers: %v", short)
	}
	for _, cc := range ClosureContacts() {
		u := d.Users[indexOf(d.Users, cc.Email)]
		if !cc.Active || u.IsDSL(cc.School) || !u.IsMember(cc.School) || len(cc.History) != 1 {
			t.Errorf("closure contact %+v", cc)
		}
	}
}
