package concerns

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func TestRule_C1_ConcernKeepsFactsAndPupilWordsApart(t *testing.T) {
	c, err := record(t, teacher, newConcern(func(n *NewConcern) {
		n.PupilIDs = []safeguarding.PupilID{"p1", "p2"}
		n.PeopleInvolved = []string{"  Mr Carl Brown ", ""}
		n.TagStaff = []string{"A.Patel@Brook.example"}
	}), london(t, "2026-11-23 09:30:00"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Details() != "Ava had a bruise on her left arm at 9:00." || c.PupilWords() != "I fell off my bike." {
		t.Errorf("details %q, words %q", c.Details(), c.PupilWords())
	}
	if got := c.Pupils(); len(got) != 2 || got[0].Role != safeguarding.RoleSubject || got[1].ID != "p2" {
		t.Errorf("pupils %+v", got)
	}
	if !slices.Equal(c.PeopleInvolved(), []string{"Mr Carl Brown"}) || !slices.Equal(c.TagStaff(), []string{colleague.Email}) {
		t.Errorf("people %q tagged %q", c.PeopleInvolved(), c.TagStaff())
	}
}

func TestRule_C1_RefusesWhatIsMissingOrForeign(t *testing.T) {
	at := london(t, "2026-11-23 09:30:00")
	for name, tc := range map[string]struct {
		mut   func(*NewConcern)
		field string
	}{
		"no pupil":              {func(n *NewConcern) { n.PupilIDs = nil }, "pupilIds"},
		"pupil of other school": {func(n *NewConcern) { n.PupilIDs = []safeguarding.PupilID{"x1"} }, "pupilIds"},
		"unknown pupil":         {func(n *NewConcern) { n.PupilIDs = []safeguarding.PupilID{"nobody"} }, "pupilIds"},
		"pupil twice":           {func(n *NewConcern) { n.PupilIDs = []safeguarding.PupilID{"p1", "p1"} }, "pupilIds"},
		"no details":            {func(n *NewConcern) { n.Details = "   " }, "details"},
		"observed in future":    {func(n *NewConcern) { n.ObservedAt = at.Add(time.Hour) }, "observedAt"},
		"tag a stranger":        {func(n *NewConcern) { n.TagStaff = []string{"someone@else.example"} }, "tagStaff"},
		"tag not an email":      {func(n *NewConcern) { n.TagStaff = []string{"Amir"} }, "tagStaff"},
		"details too long":      {func(n *NewConcern) { n.Details = string(make([]byte, MaxDetailsChars+1)) }, "details"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := record(t, teacher, newConcern(tc.mut), at)
			var ve *safeguarding.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, safeguarding.ErrInvalid) {
				t.Fatalf("err = %v, want a validation error", err)
			}
			if !slices.ContainsFunc(ve.Problems, func(p safeguarding.FieldProblem) bool { return p.Field == tc.field }) {
				t.Errorf("problems %+v do not name %s", ve.Problems, tc.field)
			}
		})
	}
}

func TestRule_C1_OnlyStaffOfTheSchoolRecord(t *testing.T) {
	_, err := record(t, outsider, newConcern(nil), london(t, "2026-11-23 09:30:00"))
	if !errors.Is(err, safeguarding.ErrForbidden) {
		t.Fatalf("err = %v, want ErrForbidden", err)
	}
}

func TestRule_C2_CategoriesAreThePolicyTable(t *testing.T) {
	cat := PolicyCatalogue()
	var ids []safeguarding.Category
	for _, d := range cat {
		ids = append(ids, d.ID)
		if len(d.Subcategories) == 0 {
			t.Errorf("%s has no sub-categories", d.ID)
		}
	}
	want := []safeguarding.Category{"safeguarding", "behaviour", "wellbeing", "attendance", "communication-with-parents", "outside-agency"}
	if !slices.Equal(ids, want) {
		t.Errorf("categories %v, want %v", ids, want)
	}
	d, _ := cat.Find(safeguarding.CategorySafeguarding)
	for _, s := range []string{"Peer on peer abuse", "peer-on-peer-abuse", "FGM", "county-lines", "Operation Encompass"} {
		if _, ok := d.Subcategory(s); !ok {
			t.Errorf("safeguarding has no %q", s)
		}
	}
}

func TestRule_C2_SubcategoryMustBelongToTheCategory(t *testing.T) {
	at := london(t, "2026-11-23 09:30:00")
	_, err := record(t, teacher, newConcern(func(n *NewConcern) { n.Subcategories = []string{"cyberbullying"} }), at)
	if !errors.Is(err, safeguarding.ErrInvalid) {
		t.Fatalf("behaviour sub-category under safeguarding: err = %v", err)
	}
	_, err = record(t, teacher, newConcern(func(n *NewConcern) { n.Category = "gossip" }), at)
	if !errors.Is(err, safeguarding.ErrInvalid) {
		t.Fatalf("unknown category: err = %v", err)
	}
	// Unsure staff pick the closest category: sub-categories are optional.
	c, err := record(t, teacher, newConcern(func(n *NewConcern) { n.Category = "wellbeing"; n.Subcategories = nil }), at)
	if err != nil || c.Category() != safeguarding.CategoryWellbeing {
		t.Fatalf("category only: %v %v", c.Category(), err)
	}
}

func TestRule_C2_RetiredSubcategoryCannotBeChosen(t *testing.T) {
	cat := PolicyCatalogue()
	cat[0].Subcategories[0].Retired = true // "Emotional related"
	_, err := RecordConcern("01J", newConcern(func(n *NewConcern) { n.Subcategories = []string{"emotional-related"} }),
		teacher, brookLane, pupils, cat, safeguarding.Weekdays{}, london(t, "2026-11-23 09:30:00"))
	if !errors.Is(err, safeguarding.ErrInvalid) {
		t.Fatalf("err = %v, want invalid", err)
	}
	// A retired one is still found by id, so old records stay readable.
	if s, ok := cat[0].Subcategory("emotional-related"); !ok || s.Title != "Emotional related" {
		t.Errorf("retired sub-category not readable: %+v", s)
	}
}

func TestRule_C3_LateRecordIsAcceptedAndMarked(t *testing.T) {
	for _, tc := range []struct {
		name, observed, recorded string
		late                     bool
		minutes                  int
	}{
		{"exactly on the morning deadline", "2026-11-23 09:00:00", "2026-11-23 12:00:00", false, 0},
		{"a second after noon", "2026-11-23 09:00:00", "2026-11-23 12:00:01", true, 1},
		{"35 minutes late", "2026-11-23 09:00:00", "2026-11-23 12:35:00", true, 35},
		{"exactly on the afternoon deadline", "2026-11-23 13:00:00", "2026-11-23 16:00:00", false, 0},
		{"afternoon, 90 minutes late", "2026-11-23 13:00:00", "2026-11-23 17:30:00", true, 90},
		{"BST, exactly at four", "2026-06-15 13:00:00", "2026-06-15 16:00:00", false, 0},
		{"BST, an hour late", "2026-06-15 10:00:00", "2026-06-15 13:00:00", true, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := record(t, teacher, newConcern(func(n *NewConcern) { n.ObservedAt = london(t, tc.observed) }), london(t, tc.recorded))
			if err != nil {
				t.Fatal(err) // a late record is never refused
			}
			if c.Late() != tc.late || c.MinutesLate() != tc.minutes {
				t.Errorf("late=%v minutes=%d, want %v %d", c.Late(), c.MinutesLate(), tc.late, tc.minutes)
			}
		})
	}
}

func alertsOf(c Concern) map[string][]safeguarding.Channel {
	out := map[string][]safeguarding.Channel{}
	for _, a := range ConcernAlerts(c, brookLane) {
		out[a.Recipient] = append(out[a.Recipient], a.Channel)
	}
	return out
}

func TestRule_C4_HighPriorityAlertsEveryDSLBySMSAndEmail(t *testing.T) {
	c, err := record(t, teacher, newConcern(func(n *NewConcern) { n.HighPriority = true }), london(t, "2026-11-23 09:30:00"))
	if err != nil {
		t.Fatal(err)
	}
	got := alertsOf(c)
	for _, who := range []string{dsl.Email, head.Email} {
		if !slices.Equal(got[who], []safeguarding.Channel{safeguarding.ChannelSMS, safeguarding.ChannelEmail}) {
			t.Errorf("%s got %v, want sms and email", who, got[who])
		}
	}
	if len(got) != 2 {
		t.Errorf("alerted %v, want only the DSLs", got)
	}
	for _, a := range ConcernAlerts(c, brookLane) {
		if a.Priority != safeguarding.PriorityHigh || a.Kind != "concern" || a.School != school {
			t.Errorf("alert %+v", a)
		}
	}
}

func TestRule_C4_OtherConcernsEmailTheDSLsAndTaggedStaff(t *testing.T) {
	c, err := record(t, teacher, newConcern(func(n *NewConcern) { n.TagStaff = []string{colleague.Email} }), london(t, "2026-11-23 09:30:00"))
	if err != nil {
		t.Fatal(err)
	}
	got := alertsOf(c)
	for _, who := range []string{dsl.Email, head.Email, colleague.Email} {
		if !slices.Equal(got[who], []safeguarding.Channel{safeguarding.ChannelEmail}) {
			t.Errorf("%s got %v, want email only", who, got[who])
		}
	}
	if _, ok := got[teacher.Email]; ok {
		t.Error("the author was alerted of their own concern")
	}
}

func TestRule_C5_ConcernAboutStaffGoesToGovernorAndSeniorDSL(t *testing.T) {
	c, err := record(t, teacher, newConcern(func(n *NewConcern) {
		n.AboutStaff, n.SubjectStaffEmail, n.HighPriority = true, dsl.Email, true
	}), london(t, "2026-11-23 09:30:00"))
	if err != nil {
		t.Fatal(err)
	}
	got := alertsOf(c)
	if _, ok := got[dsl.Email]; ok {
		t.Error("the DSL the concern is about was alerted (S6)")
	}
	if len(got[governor.Email]) == 0 || len(got[head.Email]) == 0 {
		t.Errorf("alerts %v, want the governor and the Senior DSL", got)
	}
	if c.CanView(dsl) {
		t.Error("the DSL the concern is about can see it")
	}
	if !c.CanView(governor) || !c.CanView(head) || !c.CanView(teacher) {
		t.Error("governor, Senior DSL and author must see it")
	}
}

func TestRule_C5_ConcernAboutTheSeniorDSLGoesOnlyToTheGovernor(t *testing.T) {
	c, err := record(t, teacher, newConcern(func(n *NewConcern) { n.AboutStaff, n.SubjectStaffEmail = true, head.Email }), london(t, "2026-11-23 09:30:00"))
	if err != nil {
		t.Fatal(err)
	}
	got := alertsOf(c)
	if len(got) != 1 || len(got[governor.Email]) == 0 {
		t.Errorf("alerts %v, want the governor only", got)
	}
	if c.CanView(head) || c.CanView(dsl) {
		t.Error("the Senior DSL it is about, or another DSL, can see it")
	}
}

func TestRule_P2_StaffSeeOnlyWhatTheyWroteOrWereTaggedIn(t *testing.T) {
	c, err := record(t, teacher, newConcern(nil), london(t, "2026-11-23 09:30:00"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who  safeguarding.Principal
		sees bool
	}{{teacher, true}, {colleague, false}, {dsl, true}, {head, true}, {governor, false}, {outsider, false}} {
		if got := c.CanView(tc.who); got != tc.sees {
			t.Errorf("%s sees = %v, want %v", tc.who.Name, got, tc.sees)
		}
	}
	tagged, _ := record(t, teacher, newConcern(func(n *NewConcern) { n.TagStaff = []string{colleague.Email} }), london(t, "2026-11-23 09:30:00"))
	if !tagged.CanView(colleague) {
		t.Error("tagged colleague cannot see the concern")
	}
	// The chronology applies the same rule to each entry.
	entries := ConcernEntries(c)
	if len(safeguarding.Visible(entries, colleague)) != 0 || len(safeguarding.Visible(entries, dsl)) != 1 {
		t.Error("chronology visibility differs from the concern's")
	}
}

func TestRule_S2_AlertsCarryNoPupilData(t *testing.T) {
	c, err := record(t, teacher, newConcern(func(n *NewConcern) { n.HighPriority = true }), london(t, "2026-11-23 09:30:00"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ConcernAlerts(c, brookLane) {
		if a.Reference == "" || a.Subject != string(c.ID()) || a.SchoolName != "Brook Lane Primary" {
			t.Errorf("alert %+v lacks its reference, subject or school", a)
		}
	}
	// The Alert type has no field that could hold a name or narrative: its fields are ids,
	// role groups, channels and the category. shared/alert tests the composed text.
}

func TestRule_S6_TheStaffMemberAConcernIsAboutIsNeverAlerted(t *testing.T) {
	for _, subject := range []safeguarding.Principal{dsl, head, colleague} {
		c, err := record(t, teacher, newConcern(func(n *NewConcern) {
			n.AboutStaff, n.SubjectStaffEmail, n.HighPriority = true, subject.Email, true
			n.TagStaff = []string{subject.Email} // even when tagged
		}), london(t, "2026-11-23 09:30:00"))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range ConcernAlerts(c, brookLane) {
			if a.Recipient == subject.Email {
				t.Errorf("%s, the subject, is alerted: %+v", subject.Name, a)
			}
		}
	}
}

func TestRule_C2_ASchoolAddsRenamesAndRetiresSubcategories(t *testing.T) {
	cat, sub, err := PolicyCatalogue().AddSubcategory(safeguarding.CategorySafeguarding, "Online safety")
	if err != nil || sub.ID != "online-safety" {
		t.Fatalf("add: %v %+v", err, sub)
	}
	if _, _, err := cat.AddSubcategory(safeguarding.CategorySafeguarding, "online SAFETY"); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("adding it twice: %v", err)
	}
	renamed := "Online safety and social media"
	cat, sub, err = cat.ChangeSubcategory(safeguarding.CategorySafeguarding, "online-safety", &renamed, nil)
	if err != nil || sub.ID != "online-safety" || sub.Title != renamed {
		t.Fatalf("rename keeps the id: %v %+v", err, sub)
	}
	retired := true
	cat, _, err = cat.ChangeSubcategory(safeguarding.CategorySafeguarding, "online-safety", nil, &retired)
	if err != nil {
		t.Fatal(err)
	}
	_, err = RecordConcern("01J", newConcern(func(n *NewConcern) { n.Subcategories = []string{"online-safety"} }),
		teacher, brookLane, pupils, cat, safeguarding.Weekdays{}, london(t, "2026-11-23 09:30:00"))
	if !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("recording with a retired sub-category: %v", err)
	}
	if d, _ := cat.Find(safeguarding.CategorySafeguarding); !d.Subcategories[len(d.Subcategories)-1].Retired {
		t.Error("the retired sub-category is gone from the catalogue; old records could not show it")
	}
	if _, _, err := cat.ChangeSubcategory("gossip", "x", nil, &retired); !errors.Is(err, safeguarding.ErrNotFound) {
		t.Errorf("unknown category: %v", err)
	}
	// The policy's table itself is untouched.
	if d, _ := PolicyCatalogue().Find(safeguarding.CategorySafeguarding); len(d.Subcategories) != 15 {
		t.Errorf("the policy catalogue changed: %d", len(d.Subcategories))
	}
}
