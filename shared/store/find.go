package store

import (
	"context"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Finding a school's pupils by a name, a UPN or a class, without a Scan: a UPN is one item of
// the roll its imports keep (A84), a class one Query of its list (A31), a name A4's Query.

// PupilByUPN reads the pupil the school's roll holds under upn (A84): a GetItem of the roll
// item, then one of the pupil. A UPN no import brought is not found.
func (s *Store) PupilByUPN(ctx context.Context, school safeguarding.SchoolID, upn string) (safeguarding.Pupil, bool, error) {
	var roll rollItem
	ok, err := s.getItem(ctx, key{PK: rollPK(school), SK: "UPN#" + upn}, &roll, false)
	if err != nil || !ok || roll.Pupil == "" {
		return safeguarding.Pupil{}, false, err
	}
	var it pupilItem
	ok, err = s.getItem(ctx, pupilKey(school, safeguarding.PupilID(roll.Pupil)), &it, false)
	if err != nil || !ok {
		return safeguarding.Pupil{}, false, err
	}
	return pupilFromItem(it), true, nil
}

// FindPupils finds up to limit pupils of a school by q: the pupil of a UPN (A84); otherwise the
// pupils of the class q names, in name order (A26, A31), then those whose name matches q (A4).
// The school's classes and the name search are read side by side.
func (s *Store) FindPupils(ctx context.Context, school safeguarding.SchoolID, q string, limit int) ([]safeguarding.Pupil, error) {
	if upn, ok := safeguarding.UPNOf(q); ok {
		p, found, err := s.PupilByUPN(ctx, school, upn)
		if err != nil || !found {
			return nil, err
		}
		return []safeguarding.Pupil{p}, nil
	}
	q = strings.TrimSpace(q)
	var class string
	var named []safeguarding.Pupil
	eg, gctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		classes, err := s.Classes(gctx, school)
		for _, c := range classes {
			if q != "" && strings.EqualFold(c.Name, q) {
				class = c.Name
			}
		}
		return err
	})
	eg.Go(func() (err error) {
		named, err = s.SearchPupils(gctx, school, q, limit)
		return err
	})
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	var out []safeguarding.Pupil
	if class != "" {
		var err error
		if out, err = s.ClassPupils(ctx, school, class); err != nil {
			return nil, err
		}
	}
	for _, p := range named {
		if !containsPupil(out, p.ID) {
			out = append(out, p)
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func containsPupil(ps []safeguarding.Pupil, id safeguarding.PupilID) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}
