// Package seed is the demo data of the local stack: a made-up federation of two schools,
// Brook Lane Primary and Hillcrest Juniors, with pupils, their families (siblings, some of them
// in both schools) and staff in every role of rule P1. Every name, address and number here is
// invented; phone numbers are in the ranges Ofcom keeps for drama (07700 900xxx mobiles,
// 01632 960xxx for the duty teams).
package seed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// School ids of the demo federation.
const (
	BrookLane safeguarding.SchoolID = "brook-lane"
	Hillcrest safeguarding.SchoolID = "hillcrest"
)

// EmailDomain is the federation's made-up mail domain.
const EmailDomain = "brookhill.example.org"

// Family is a household with children in the federation: its carers, its two phone numbers
// with when each was last confirmed, its address (all invented) and its children.
type Family struct {
	ID        string
	Surname   string
	Carers    []string
	Phones    []string // two numbers for every family
	Confirmed []time.Time
	Address   []string
	Postcode  string
	Pupils    []safeguarding.PupilID
}

// ContactsConfirmed is when the demo families confirmed their numbers: the data-collection
// check at the start of the autumn term 2026.
var ContactsConfirmed = time.Date(2026, 9, 7, 9, 0, 0, 0, safeguarding.London)

// staleNumbers are the demo families whose numbers were not all confirmed at that check, so
// the H1 report has something to show: one number last confirmed in 2024, or both.
var staleNumbers = map[string]int{"fam-05": 1, "fam-13": 2}

// streets are the invented streets of the invented town of Brookhill (postcode area ZZ, which
// does not exist).
var streets = []string{"Alder Road", "Beech Close", "Cedar Way", "Damson Lane", "Elm Terrace", "Fern Street"}

// Data is the whole demo data set.
type Data struct {
	Schools  []safeguarding.School
	Users    []safeguarding.Principal
	Pupils   []safeguarding.Pupil
	Families []Family
	// FormerPupils left long ago; their records are kept until their 25th birthday (rule S7).
	FormerPupils []FormerPupil
}

type staff struct {
	first, last string
	roles       map[safeguarding.SchoolID][]safeguarding.Role
	mobile      string // for SMS alerts; "" for someone who gave none
}

func roles(rs ...safeguarding.Role) []safeguarding.Role { return rs }

// The staff: every role of rule P1 in each school, a DSL who also teaches (Daniel Reyes) and
// one person who works in both schools (Sam Ellis). Everyone but two (Priya Shah, Fatima Begum)
// gave a mobile for SMS alerts.
var people = []staff{
	{"Helen", "Carter", map[safeguarding.SchoolID][]safeguarding.Role{BrookLane: roles(safeguarding.RoleSeniorDSL)}, "07700 900001"},
	{"Daniel", "Reyes", map[safeguarding.SchoolID][]safeguarding.Role{BrookLane: roles(safeguarding.RoleTeacher, safeguarding.RoleDSL)}, "07700 900002"},
	{"Tom", "Hughes", map[safeguarding.SchoolID][]safeguarding.Role{BrookLane: roles(safeguarding.RoleTeacher)}, "07700 900003"},
	{"Priya", "Shah", map[safeguarding.SchoolID][]safeguarding.Role{BrookLane: roles(safeguarding.RoleStaff)}, ""},
	{"Grace", "Bennett", map[safeguarding.SchoolID][]safeguarding.Role{BrookLane: roles(safeguarding.RoleAdmin)}, "07700 900005"},
	{"Martin", "Doyle", map[safeguarding.SchoolID][]safeguarding.Role{BrookLane: roles(safeguarding.RoleGovernor)}, "07700 900006"},
	{"Robert", "King", map[safeguarding.SchoolID][]safeguarding.Role{Hillcrest: roles(safeguarding.RoleSeniorDSL)}, "07700 900007"},
	{"Chloe", "Adams", map[safeguarding.SchoolID][]safeguarding.Role{Hillcrest: roles(safeguarding.RoleDSL)}, "07700 900008"},
	{"Owen", "Price", map[safeguarding.SchoolID][]safeguarding.Role{Hillcrest: roles(safeguarding.RoleTeacher)}, "07700 900009"},
	{"Leah", "Morgan", map[safeguarding.SchoolID][]safeguarding.Role{Hillcrest: roles(safeguarding.RoleStaff)}, "07700 900010"},
	{"Fatima", "Begum", map[safeguarding.SchoolID][]safeguarding.Role{Hillcrest: roles(safeguarding.RoleAdmin)}, ""},
	{"Ruth", "Palmer", map[safeguarding.SchoolID][]safeguarding.Role{Hillcrest: roles(safeguarding.RoleGovernor)}, "07700 900012"},
	{"Sam", "Ellis", map[safeguarding.SchoolID][]safeguarding.Role{
		BrookLane: roles(safeguarding.RoleTeacher),
		Hillcrest: roles(safeguarding.RoleTeacher, safeguarding.RoleDSL),
	}, "07700 900013"},
}

type child struct {
	school safeguarding.SchoolID
	first  string
	year   string
}

type household struct {
	surname string
	carers  []string
	kids    []child
}

// About twenty pupils in each school, in 17 households; six households have children in both.
var households = []household{
	{"Okafor", []string{"Adaeze Okafor", "Emeka Okafor"}, []child{{BrookLane, "Chidi", "Year 2"}, {Hillcrest, "Ngozi", "Year 5"}}},
	{"Whitfield", []string{"Joanne Whitfield"}, []child{{BrookLane, "Alfie", "Reception"}, {BrookLane, "Poppy", "Year 1"}, {Hillcrest, "Harvey", "Year 4"}}},
	{"Kowalski", []string{"Marta Kowalska", "Piotr Kowalski"}, []child{{BrookLane, "Zofia", "Year 2"}, {BrookLane, "Jakub", "Year 2"}}},
	{"Ahmed", []string{"Sadia Ahmed", "Imran Ahmed"}, []child{{BrookLane, "Zara", "Year 1"}, {Hillcrest, "Yusuf", "Year 6"}, {Hillcrest, "Aisha", "Year 3"}}},
	{"Fletcher", []string{"Kelly Fletcher", "Dean Fletcher"}, []child{{BrookLane, "Mason", "Reception"}}},
	{"Nguyen", []string{"Linh Nguyen"}, []child{{BrookLane, "Minh", "Year 2"}, {BrookLane, "Lan", "Reception"}}},
	{"Evans", []string{"Rhian Evans", "Gareth Evans"}, []child{{BrookLane, "Cerys", "Year 1"}, {Hillcrest, "Dylan", "Year 4"}}},
	{"Campbell", []string{"Nicola Campbell", "Stuart Campbell"}, []child{{BrookLane, "Isla", "Year 2"}, {BrookLane, "Rory", "Reception"}}},
	{"Mensah", []string{"Abena Mensah", "Kwame Mensah"}, []child{{BrookLane, "Kofi", "Year 1"}, {BrookLane, "Esi", "Year 2"}}},
	{"Doherty", []string{"Siobhan Doherty"}, []child{{BrookLane, "Niamh", "Reception"}, {Hillcrest, "Cian", "Year 5"}}},
	{"Patel", []string{"Hema Patel", "Sunil Patel"}, []child{{BrookLane, "Arjun", "Year 1"}, {BrookLane, "Meera", "Year 2"}}},
	{"Robinson", []string{"Claire Robinson", "Lee Robinson"}, []child{{Hillcrest, "Ella", "Year 3"}, {Hillcrest, "Jack", "Year 6"}}},
	{"Ali", []string{"Hodan Ali"}, []child{{Hillcrest, "Amina", "Year 4"}, {Hillcrest, "Hamza", "Year 5"}, {Hillcrest, "Ilhan", "Year 3"}}},
	{"Thompson", []string{"Donna Thompson", "Mark Thompson"}, []child{{Hillcrest, "Lily", "Year 6"}, {Hillcrest, "Oscar", "Year 4"}}},
	{"Silva", []string{"Ana Silva", "Bruno Silva"}, []child{{Hillcrest, "Beatriz", "Year 5"}, {Hillcrest, "Tiago", "Year 3"}}},
	{"Murphy", []string{"Karen Murphy"}, []child{{Hillcrest, "Connor", "Year 6"}, {BrookLane, "Orla", "Year 1"}}},
	{"Hussain", []string{"Nadia Hussain", "Tariq Hussain"}, []child{{Hillcrest, "Maryam", "Year 4"}, {Hillcrest, "Bilal", "Year 5"}, {Hillcrest, "Safiya", "Year 3"}}},
}

// classNames gives each year group of a school one class.
var classNames = map[safeguarding.SchoolID]map[string]string{
	BrookLane: {"Reception": "Acorns", "Year 1": "Saplings", "Year 2": "Willows"},
	Hillcrest: {"Year 3": "Kestrels", "Year 4": "Falcons", "Year 5": "Merlins", "Year 6": "Harriers"},
}

// Email returns the federation email of a member of staff.
func Email(first, last string) string {
	return strings.ToLower(first + "." + last + "@" + EmailDomain)
}

// Demo returns the demo data set. It is the same every time.
func Demo() Data {
	var d Data
	for _, p := range people {
		email := Email(p.first, p.last)
		u := safeguarding.Principal{Email: email, Subject: Subject(email), Name: p.first + " " + p.last, Memberships: map[safeguarding.SchoolID][]safeguarding.Role{}}
		if p.mobile != "" {
			u.Mobile, _ = safeguarding.NormaliseMobile(p.mobile)
		}
		for s, rs := range p.roles {
			u.Memberships[s] = append([]safeguarding.Role(nil), rs...)
		}
		d.Users = append(d.Users, u)
	}
	// Each school's local authority duty team (rule V5), LADO (C5) and the agencies its policy
	// keeps for staff, in Ofcom's drama range 01632 960xxx; its safeguarding governor.
	for _, sc := range []struct {
		id                         safeguarding.SchoolID
		name, duty, lado, governor string
	}{{BrookLane, "Brook Lane Primary", "01632 960100", "01632 960110", Email("Martin", "Doyle")},
		{Hillcrest, "Hillcrest Juniors", "01632 960200", "01632 960110", Email("Ruth", "Palmer")}} {
		s := safeguarding.School{ID: sc.id, Name: sc.name, EndOfDayMinutes: safeguarding.DefaultEndOfDayMinutes,
			LoneWorkerMinutes: safeguarding.DefaultLoneWorkerMinutes, DutyTeamNumber: sc.duty,
			ContactOpeningsPerHour: safeguarding.DefaultContactOpeningsPerHour, LADONumber: sc.lado, SafeguardingGovernor: sc.governor,
			KeyContacts: []safeguarding.KeyContact{
				{Agency: safeguarding.AgencySocialCare, Name: "Children's front door", Number: sc.duty},
				{Agency: safeguarding.AgencyEarlyHelp, Name: "Brookhill early help hub", Number: "01632 960120", Email: "earlyhelp@brookhill-council.example.org"},
				{Agency: safeguarding.AgencyPolice, Name: "Police, when it is not an emergency (999 when it is)", Number: "101"},
				{Agency: safeguarding.AgencyLAEducation, Name: "Education safeguarding team", Number: "01632 960140", Email: "edsafeguarding@brookhill-council.example.org"},
			}}
		for _, u := range d.Users {
			if rs := u.Memberships[sc.id]; len(rs) > 0 {
				s.Roster = append(s.Roster, safeguarding.StaffMember{Email: u.Email, Roles: append([]safeguarding.Role(nil), rs...)})
			}
		}
		d.Schools = append(d.Schools, s)
	}
	count := map[safeguarding.SchoolID]int{}
	phone := 100
	for i, h := range households {
		f := Family{
			ID: fmt.Sprintf("fam-%02d", i+1), Surname: h.surname, Carers: h.carers,
			Phones:    []string{fmt.Sprintf("07700 900%03d", phone), fmt.Sprintf("07700 900%03d", phone+1)},
			Confirmed: []time.Time{ContactsConfirmed, ContactsConfirmed},
			Address:   []string{fmt.Sprintf("%d %s", 3+4*i, streets[i%len(streets)]), "Brookhill"},
			Postcode:  fmt.Sprintf("ZZ%d %dA%c", 1+i%3, 1+i%9, 'A'+rune(i)),
		}
		for n := range staleNumbers[f.ID] {
			f.Confirmed[n] = time.Date(2024, 9, 9, 9, 0, 0, 0, safeguarding.London)
		}
		phone += 2
		for _, k := range h.kids {
			count[k.school]++
			prefix := "bl"
			if k.school == Hillcrest {
				prefix = "hc"
			}
			p := safeguarding.Pupil{
				ID:        safeguarding.PupilID(fmt.Sprintf("%s-%02d", prefix, count[k.school])),
				School:    k.school,
				Name:      k.first + " " + h.surname,
				YearGroup: k.year,
				ClassName: classNames[k.school][k.year],
				FamilyID:  f.ID,
				// Rule S7: the date of birth the MIS gives, in the year group's school year.
				DateOfBirth: birthDate(k.year, len(d.Pupils)),
			}
			d.Pupils = append(d.Pupils, p)
			f.Pupils = append(f.Pupils, p.ID)
		}
		d.Families = append(d.Families, f)
	}
	d.FormerPupils = formerPupils(map[safeguarding.SchoolID]string{BrookLane: Email("Helen", "Carter"), Hillcrest: Email("Robert", "King")})
	return d
}

// Writer is what seeding needs of the store (shared/store.Store); every put is idempotent.
type Writer interface {
	PutSchool(context.Context, safeguarding.School) error
	PutUser(context.Context, safeguarding.Principal) error
	PutPupil(context.Context, safeguarding.Pupil) error
}

// Apply writes the data set through w. Running it twice leaves the same records.
func Apply(ctx context.Context, w Writer, d Data) error {
	for _, s := range d.Schools {
		if err := w.PutSchool(ctx, s); err != nil {
			return fmt.Errorf("seed: school %s: %w", s.ID, err)
		}
	}
	for _, u := range d.Users {
		if err := w.PutUser(ctx, u); err != nil {
			return fmt.Errorf("seed: user %d: %w", indexOf(d.Users, u.Email), err)
		}
	}
	for _, p := range d.Pupils {
		if err := w.PutPupil(ctx, p); err != nil {
			return fmt.Errorf("seed: pupil %s/%s: %w", p.School, p.ID, err)
		}
	}
	return nil
}

// indexOf names a user in an error by position, so no email lands in a log.
func indexOf(users []safeguarding.Principal, email string) int {
	for i, u := range users {
		if u.Email == email {
			return i
		}
	}
	return -1
}

// Subject is the identity provider's subject (Cognito's "sub") of a demo person, made up and
// stable for their email: the local identity provider signs it into their tokens and the seed
// records it on their profile (rule S8), as the user pool and the staff admin would in AWS.
func Subject(email string) string {
	s := sha256.Sum256([]byte("keepsafe-local:" + strings.ToLower(email)))
	h := hex.EncodeToString(s[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
