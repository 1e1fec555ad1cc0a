package concerns

import (
	"math"
	"strings"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// BodyMark is one place marked on the body map of a concern (rule C1): the front or back
// outline, the point as fractions of the outline's width and height (0 to 1, from the top
// left), and what was seen there.
type BodyMark struct {
	Side string
	X, Y float64
	Note string
}

// Body map limits.
const (
	MaxBodyMarks     = 30
	MaxBodyNoteChars = 500
)

func checkBodyMap(ps *safeguarding.Problems, marks []BodyMark) []BodyMark {
	if len(marks) > MaxBodyMarks {
		ps.Add("bodyMap", "at most %d marks", MaxBodyMarks)
		return nil
	}
	out := make([]BodyMark, 0, len(marks))
	for _, m := range marks {
		m.Note = strings.TrimSpace(m.Note)
		switch {
		case m.Side != "front" && m.Side != "back":
			ps.Add("bodyMap", "side must be front or back")
		case !unit(m.X) || !unit(m.Y):
			ps.Add("bodyMap", "x and y must be between 0 and 1")
		default:
			safeguarding.CheckText(ps, "bodyMap", m.Note, MaxBodyNoteChars)
			out = append(out, m)
		}
	}
	return out
}

func unit(v float64) bool { return !math.IsNaN(v) && v >= 0 && v <= 1 }

// BodyMap is the concern's body map marks.
func (c Concern) BodyMap() []BodyMark { return append([]BodyMark(nil), c.bodyMap...) }
