package main

import (
	"strconv"
	"strings"
)

// The body map's words for where a mark is (rule C1), so that a mark reads the same to
// everyone: on the form as it is placed (app.js says the same, in the same words, to a
// screen reader as the cross moves), and on the concern's page. The outline is 100 by 220
// units (the "outline" template); a mark is a fraction of each. The words are coarse on
// purpose: which part of the body, and the child's left or right, never finer than the
// outline can tell. On the front the child's right is on the viewer's left; on the back it
// is on the viewer's right.

// bodyPlace says where a mark at x, y (fractions 0 to 1 of the outline) on side ("front" or
// "back") is: "Front, the child's right arm".
func bodyPlace(side string, x, y float64) string {
	return sideTitle(side) + ", " + bodyPart(side, x*100, y*220)
}

// sideTitle is the figure's caption: Front or Back.
func sideTitle(side string) string {
	if side == "back" {
		return "Back"
	}
	return "Front"
}

// bodyPart names the part of the outline at ux, uy (its own units).
func bodyPart(side string, ux, uy float64) string {
	// The child's side of a point on the viewer's left or right of the middle.
	childSide := func(viewerLeft bool) string {
		if viewerLeft == (side != "back") {
			return "the child's right"
		}
		return "the child's left"
	}
	switch {
	case uy < 32:
		return "head"
	case uy < 40:
		return "neck"
	case uy < 112 && (ux < 31 || ux > 69):
		return childSide(ux < 50) + " arm"
	case uy < 112:
		switch {
		case ux < 45:
			return "body, " + childSide(true) + " side"
		case ux > 55:
			return "body, " + childSide(false) + " side"
		}
		return "body, middle"
	case uy >= 200:
		return childSide(ux < 50) + " foot"
	}
	return childSide(ux < 50) + " leg"
}

// Place is where a mark sent with the form is, in words, or its side alone when its place is
// not a number (the form then asks for it again).
func (m markForm) Place() string {
	x, errX := strconv.ParseFloat(strings.TrimSpace(m.X), 64)
	y, errY := strconv.ParseFloat(strings.TrimSpace(m.Y), 64)
	if errX != nil || errY != nil {
		return sideTitle(m.Side)
	}
	return bodyPlace(m.Side, x, y)
}
