package main

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	staffing "github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
)

// Pickers (rule P1): wherever a form asks for a person it offers the school's staff by name,
// and wherever it asks for a family, the families by their children's names. Nobody types an
// email address or an id; the server still checks that each value sent is of the school.

// shortRoles name a person's roles beside their name: "teacher, DSL".
func shortRoles(roles []safeguarding.Role) string {
	words := make([]string, 0, len(roles))
	for _, r := range roles {
		words = append(words, staffing.RoleShort(r))
	}
	return strings.Join(words, ", ")
}

// rosterNames names the people of a school's roster (one BatchGetItem of their profiles); one
// with no name on record is named by their email.
func (h *Handler) rosterNames(ctx context.Context, school safeguarding.School) (map[string]string, error) {
	emails := make([]string, 0, len(school.Roster))
	for _, m := range school.Roster {
		emails = append(emails, m.Email)
	}
	if len(emails) == 0 {
		return map[string]string{}, nil
	}
	return h.Directory.StaffNames(ctx, emails)
}

// staffOptions lists a school's roster by name with their roles, to choose an assignee or a
// member of staff from, leaving out anyone the concern is about (C5).
func staffOptions(school safeguarding.School, names map[string]string, selected string, leaveOut ...string) []option {
	var out []option
	for _, m := range school.Roster {
		if slices.Contains(leaveOut, m.Email) {
			continue
		}
		out = append(out, option{Value: m.Email, Title: cmp.Or(names[m.Email], m.Email) + " (" + shortRoles(m.Roles) + ")",
			Checked: m.Email == selected})
	}
	slices.SortFunc(out, func(a, b option) int { return cmp.Or(cmp.Compare(a.Title, b.Title), cmp.Compare(a.Value, b.Value)) })
	return out
}

// peopleOptions lists a school's roster by name only (two people of one name are told apart by
// their roles), those in chosen ticked, leaving out leaveOut: the concern form's staff to tell
// and the member of staff a concern is about, which say nothing else of anyone.
func peopleOptions(school safeguarding.School, names map[string]string, chosen []string, leaveOut ...string) []option {
	count := map[string]int{}
	for _, m := range school.Roster {
		count[cmp.Or(names[m.Email], m.Email)]++
	}
	var out []option
	for _, m := range school.Roster {
		if slices.Contains(leaveOut, m.Email) {
			continue
		}
		title := cmp.Or(names[m.Email], m.Email)
		if count[title] > 1 {
			title += " (" + shortRoles(m.Roles) + ")"
		}
		out = append(out, option{Value: m.Email, Title: title, Checked: slices.Contains(chosen, m.Email)})
	}
	slices.SortFunc(out, func(a, b option) int { return cmp.Or(cmp.Compare(a.Title, b.Title), cmp.Compare(a.Value, b.Value)) })
	return out
}

// onRoster reports whether every value sent names a member of the school's staff.
func onRoster(school safeguarding.School, emails ...string) bool {
	for _, e := range emails {
		addr, ok := safeguarding.NormaliseEmail(e)
		if !ok || !school.HasStaff(addr) {
			return false
		}
	}
	return true
}
