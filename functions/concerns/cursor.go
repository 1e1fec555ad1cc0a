package main

import (
	"encoding/base64"
	"strings"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// The dashboard's cursor is opaque to a client: the school it pages and the position the
// page ended at (concerns.PositionOf), so a client sends back what it was given and nothing
// else. It needs no secret: decoding refuses one of another school or not of this form, and
// the store makes the key it reads on from from this school's list and the concern's id, so
// a cursor can only ever start a page of the caller's own school's list, which the caller
// may read from its first page anyway.

// cursorVersion starts every cursor, so that its form can change without old ones misread.
const cursorVersion = "c1"

// maxCursorChars bounds a cursor before it is decoded.
const maxCursorChars = 512

// encodeCursor is the cursor of the page after the position next in school's dashboard.
func encodeCursor(school safeguarding.SchoolID, next string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + "\x00" + string(school) + "\x00" + next))
}

// decodeCursor reads a cursor back for school: the position to read on from, or a
// ValidationError naming "cursor" (400) for one that is not this school's dashboard's.
func decodeCursor(school safeguarding.SchoolID, cursor string) (string, error) {
	bad := &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "cursor",
		Message: "is not a page of this school's concerns; start again from the first page"}}}
	if cursor == "" || len(cursor) > maxCursorChars {
		return "", bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", bad
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[0] != cursorVersion || parts[1] != string(school) || school == "" || !concerns.ValidPosition(parts[2]) {
		return "", bad
	}
	return parts[2], nil
}
