package main

import (
	"fmt"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

// sheet is a school's run sheet in its message: the copies the registry holds of the school's
// calendar, latest closure, name and alert roster, as the fan-out read them (each absent when
// the registry has no copy; the worker then reads it). Dates are local days (Europe/London).
type sheet struct {
	Calendar *calendarSheet `json:"calendar,omitempty"`
	Closure  *closureSheet  `json:"closure,omitempty"`
	School   *schoolSheet   `json:"school,omitempty"`
}

type periodSheet struct {
	Kind string `json:"kind,omitempty"`
	Name string `json:"name,omitempty"`
	From string `json:"from"`
	To   string `json:"to"`
	Note string `json:"note,omitempty"`
}

type calendarSheet struct {
	Terms   []periodSheet `json:"terms,omitempty"`
	DaysOff []periodSheet `json:"daysOff,omitempty"`
	Version int           `json:"version"`
}

type closureSheet struct {
	ID      string     `json:"id"`
	From    string     `json:"from,omitempty"`
	LastDay string     `json:"lastDay,omitempty"`
	EndedAt *time.Time `json:"endedAt,omitempty"`
	Swept   bool       `json:"swept,omitempty"`
	Version int        `json:"version"`
}

type schoolSheet struct {
	Name   string        `json:"name"`
	Roster []memberSheet `json:"roster,omitempty"`
}

type memberSheet struct {
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

func day(t time.Time) string { return t.In(safeguarding.London).Format(time.DateOnly) }

func parseDay(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, safeguarding.London)
	if err != nil {
		return t, fmt.Errorf("a day %q: %w", s, err)
	}
	return t, nil
}

// sheetOf is the message's form of what the registry holds for a school's run.
func sheetOf(s engagement.SchoolSheet) *sheet {
	var out sheet
	if c := s.Calendar; c != nil {
		cs := &calendarSheet{Version: c.Version}
		for _, t := range c.Terms {
			cs.Terms = append(cs.Terms, periodSheet{Name: t.Name, From: day(t.From), To: day(t.To)})
		}
		for _, o := range c.DaysOff {
			cs.DaysOff = append(cs.DaysOff, periodSheet{Kind: o.Kind, From: day(o.From), To: day(o.To), Note: o.Note})
		}
		out.Calendar = cs
	}
	if c := s.Closure; c != nil && c.ID == "" {
		out.Closure = &closureSheet{} // no closure
	} else if c != nil {
		cs := &closureSheet{ID: c.ID, From: day(c.From), Swept: c.Swept, Version: c.Version}
		if !c.LastDay.IsZero() {
			cs.LastDay = day(c.LastDay)
		}
		if !c.EndedAt.IsZero() {
			at := c.EndedAt.UTC()
			cs.EndedAt = &at
		}
		out.Closure = cs
	}
	if sc := s.School; sc != nil {
		ss := &schoolSheet{Name: sc.Name}
		for _, m := range sc.Roster {
			ms := memberSheet{Email: m.Email}
			for _, r := range m.Roles {
				ms.Roles = append(ms.Roles, string(r))
			}
			ss.Roster = append(ss.Roster, ms)
		}
		out.School = ss
	}
	if out.Calendar == nil && out.Closure == nil && out.School == nil {
		return nil
	}
	return &out
}

// schoolSheetFor reads a message's sheet back for the school's run.
func (s *sheet) forSchool(id safeguarding.SchoolID) (engagement.SchoolSheet, error) {
	var out engagement.SchoolSheet
	if s == nil {
		return out, nil
	}
	if c := s.Calendar; c != nil {
		cal := safeguarding.SchoolCalendar{School: id, Version: c.Version}
		for _, p := range c.Terms {
			from, err1 := parseDay(p.From)
			to, err2 := parseDay(p.To)
			if err := firstErr(err1, err2); err != nil {
				return out, err
			}
			cal.Terms = append(cal.Terms, safeguarding.Term{Name: p.Name, From: from, To: to})
		}
		for _, p := range c.DaysOff {
			from, err1 := parseDay(p.From)
			to, err2 := parseDay(p.To)
			if err := firstErr(err1, err2); err != nil {
				return out, err
			}
			cal.DaysOff = append(cal.DaysOff, safeguarding.DayOff{Kind: p.Kind, From: from, To: to, Note: p.Note})
		}
		out.Calendar = &cal
	}
	if c := s.Closure; c != nil && c.ID == "" {
		out.Closure = &safeguarding.Closure{} // the school has had no closure
	} else if c != nil {
		cl := safeguarding.Closure{ID: c.ID, School: id, Swept: c.Swept, Version: c.Version}
		var err error
		if cl.From, err = parseDay(c.From); err != nil {
			return out, err
		}
		if c.LastDay != "" {
			if cl.LastDay, err = parseDay(c.LastDay); err != nil {
				return out, err
			}
		}
		if c.EndedAt != nil {
			cl.EndedAt = *c.EndedAt
		}
		out.Closure = &cl
	}
	if sc := s.School; sc != nil {
		school := safeguarding.School{ID: id, Name: sc.Name}
		for _, m := range sc.Roster {
			sm := safeguarding.StaffMember{Email: m.Email}
			for _, r := range m.Roles {
				sm.Roles = append(sm.Roles, safeguarding.Role(r))
			}
			school.Roster = append(school.Roster, sm)
		}
		out.School = &school
	}
	return out, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
