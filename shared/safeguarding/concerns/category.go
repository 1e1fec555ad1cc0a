package concerns

import (
	"strings"
	"unicode"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Subcategory is one line of the policy's table under a category. A retired one stays
// readable on old records but cannot be chosen for a new concern (rule C2).
type Subcategory struct {
	ID      string
	Title   string
	Retired bool
}

// CategoryDef is a category with its title and sub-categories.
type CategoryDef struct {
	ID            safeguarding.Category
	Title         string
	Subcategories []Subcategory
}

// Catalogue is the set of categories a school records against.
type Catalogue []CategoryDef

// Find returns the category with the given id.
func (c Catalogue) Find(id safeguarding.Category) (CategoryDef, bool) {
	for _, d := range c {
		if d.ID == id {
			return d, true
		}
	}
	return CategoryDef{}, false
}

// Subcategory finds a sub-category by id or by its title written any way (rule C2).
func (d CategoryDef) Subcategory(idOrTitle string) (Subcategory, bool) {
	k := Kebab(idOrTitle)
	for _, s := range d.Subcategories {
		if s.ID == k || Kebab(s.Title) == k {
			return s, true
		}
	}
	return Subcategory{}, false
}

// Kebab turns a title into its kebab-case id: "Peer on Peer abuse" -> "peer-on-peer-abuse".
func Kebab(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}

func subs(titles ...string) []Subcategory {
	out := make([]Subcategory, len(titles))
	for i, t := range titles {
		out[i] = Subcategory{ID: Kebab(t), Title: t}
	}
	return out
}

// PolicyCatalogue is the table of the recording policy (rule C2), the catalogue every school
// starts with. Rule C8's significant events, parental contact and incidents seen outside
// school are sub-categories where they fit.
func PolicyCatalogue() Catalogue {
	return Catalogue{
		{ID: safeguarding.CategorySafeguarding, Title: "Safeguarding", Subcategories: subs(
			"Emotional related", "Physical related", "Neglect related", "Sexual related",
			"Peer on peer abuse", "Domestic violence", "Grooming", "FGM", "Operation Encompass",
			"Court order in place", "Outside agency contact", "Early Help", "CP", "FSW involved",
			"County lines")},
		{ID: safeguarding.CategoryBehaviour, Title: "Behaviour", Subcategories: subs(
			"Behaviour incident", "Verbal bullying", "Physical bullying", "Cyberbullying",
			"Racist incident", "Homophobic incident", "Verbal/aggressive to peers",
			"Verbal/aggressive to adults", "Positive handling", "Unexplained changes in behaviour",
			"FSW involved", "Incident needing adult intervention")},
		{ID: safeguarding.CategoryWellbeing, Title: "Wellbeing", Subcategories: subs(
			"Concern for the wellbeing of the child", "Concern for the wellbeing of the parents",
			"Medical incident", "Change in home circumstances", "Parental conflict",
			"Housing concerns", "Outside agency contact", "FSW involved",
			"Unusual levels of independence or lack of supervision",
			"Behaviour concerns outside of school", "Concerns shared by a parent",
			"Clothing or footwear", "Forgotten lunch", "Significant event",
			"Incident seen outside school")},
		{ID: safeguarding.CategoryAttendance, Title: "Attendance", Subcategories: subs(
			"Attendance concern", "Punctuality concern", "Attendance for child identified as vulnerable",
			"Communication with parent", "Attendance letter given", "Family support worker involved",
			"Absence or lateness reason")},
		{ID: safeguarding.CategoryCommunication, Title: "Communication with parents", Subcategories: subs(
			"Meeting with parents", "Concerns shared by parents", "Email correspondence with parents",
			"Parental contact")},
		{ID: safeguarding.CategoryOutsideAgency, Title: "Contact with an outside agency/professional", Subcategories: subs(
			"Safeguarding or CP referral form", "Early Help referral form",
			"Email correspondence from agencies", "Visit by outside agency or professional",
			"Minutes of meeting with outside professionals")},
	}
}
