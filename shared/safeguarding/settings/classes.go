package settings

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// A pupil import makes a school's classes without their teachers; the Senior DSL or the
// office then say who teaches each (rule P1), and a teacher marks the acknowledgements of the
// classes they teach (rule E1).

// Class is one class of a school and the people who teach it, by email.
type Class struct {
	Name     string
	Teachers []string
	// Version counts the changes to its teachers (0: none since the class was made).
	Version int
}

// MaxClassTeachers bounds the teachers of one class: a class teacher, a job share, support.
const MaxClassTeachers = 6

// ClassView is one class with its teachers by name.
type ClassView struct {
	Class
	TeacherNames []Person
}

// ClassesView is the school's classes and the people who may teach them: its people with
// the teacher role, by name.
type ClassesView struct {
	Classes  []ClassView
	Teachers []Person
}

// Classes lists the school's classes with their teachers, for the Senior DSL and the office.
func (s Service) Classes(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (ClassesView, error) {
	l, err := s.Store.LoadSettings(ctx, who.Email, school, safeguarding.RequestKey{})
	if err != nil {
		return ClassesView{}, err
	}
	if !safeguarding.AccessFor(l.Viewer, school).ClassTeachers {
		return ClassesView{}, safeguarding.ErrForbidden
	}
	classes, err := s.Store.ClassTeachers(ctx, school)
	if err != nil {
		return ClassesView{}, err
	}
	teachers := staffWith(l.School, safeguarding.RoleTeacher)
	emails := slices.Clone(teachers)
	for _, c := range classes {
		emails = append(emails, c.Teachers...)
	}
	slices.Sort(emails)
	emails = slices.Compact(emails)
	names := map[string]string{}
	if len(emails) > 0 {
		if names, err = s.Store.StaffNames(ctx, emails); err != nil {
			return ClassesView{}, err
		}
	}
	out := ClassesView{Teachers: people(teachers, names), Classes: make([]ClassView, 0, len(classes))}
	for _, c := range classes {
		out.Classes = append(out.Classes, ClassView{Class: c, TeacherNames: people(c.Teachers, names)})
	}
	return out, nil
}

// AssignTeachers says who teaches a class: the Senior DSL or the office, against the version
// of the class they read (ErrConflict when someone changed it since). Each teacher is a person
// with the teacher role at the school; none at all leaves the class to the office and the
// DSLs. The receipt's Version is the class's new version.
func (s Service) AssignTeachers(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, class string, version int,
	teachers []string, key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error) {
	l, err := s.Store.LoadSettings(ctx, who.Email, school, key)
	if err != nil {
		return safeguarding.Receipt{}, err
	}
	if !safeguarding.AccessFor(l.Viewer, school).ClassTeachers {
		return safeguarding.Receipt{}, safeguarding.ErrForbidden
	}
	if l.Prior != nil {
		return safeguarding.Replayed(*l.Prior, fingerprint, safeguarding.ReceiptOf)
	}
	var ps safeguarding.Problems
	allowed := staffWith(l.School, safeguarding.RoleTeacher)
	var chosen []string
	for _, t := range teachers {
		e := strings.ToLower(strings.TrimSpace(t))
		switch {
		case !slices.Contains(allowed, e):
			ps.Add("teachers", "only people with the teacher role at the school")
		case !slices.Contains(chosen, e):
			chosen = append(chosen, e)
		}
	}
	if len(chosen) > MaxClassTeachers {
		ps.Add("teachers", "at most %d teachers for one class", MaxClassTeachers)
	}
	if err := ps.Err(); err != nil {
		return safeguarding.Receipt{}, err
	}
	classes, err := s.Store.ClassTeachers(ctx, school)
	if err != nil {
		return safeguarding.Receipt{}, err
	}
	i := slices.IndexFunc(classes, func(c Class) bool { return c.Name == class })
	if i < 0 {
		return safeguarding.Receipt{}, fmt.Errorf("class %q: %w", class, safeguarding.ErrNotFound)
	}
	if version != classes[i].Version {
		return safeguarding.Receipt{}, fmt.Errorf("class %q version %d, now %d: %w", class, version, classes[i].Version, safeguarding.ErrConflict)
	}
	slices.Sort(chosen)
	next := Class{Name: class, Teachers: chosen, Version: version + 1}
	if next.Teachers == nil {
		next.Teachers = []string{}
	}
	receipt := safeguarding.Receipt{ID: class, RecordedAt: who.At, Version: next.Version}
	var req *safeguarding.RequestRecord
	if key.Key != "" {
		req = &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: receipt}
	}
	err = s.Store.SaveClassTeachers(ctx, school, next, version, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email,
		Action: "class.teachers-changed", Subject: "class/" + class, At: who.At, Source: who.Source}, req)
	return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, receipt, err, safeguarding.ReceiptOf)
}
