package staff

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// The MIS's staff export (rule P1): a CSV file with a header row and a row per member of
// staff, its columns in any order and spelt as Scholarpack, SIMS, Arbor or Bromcom write
// them. Roles come from it only as teacher or staff: the DSLs, the Senior DSL and the
// governor are given on the staff page, never by a file.

// MaxImportRows bounds a staff file: every new person is one call to the user pool.
const MaxImportRows = 500

// ImportRow is one member of staff read from the file.
type ImportRow struct {
	Line int
	NewMember
}

// RowError is one problem of one row: the file's line (the header is line 1), the column and
// what is wrong in plain words, never the value itself.
type RowError struct {
	Line           int
	Field, Message string
}

const (
	colForename = iota
	colSurname
	colName
	colEmail
	colMobile
	colRole
	numCols
)

var (
	colNames   = [numCols]string{"forename", "surname", "name", "email", "mobile", "role"}
	colAliases = [numCols][]string{
		colForename: {"forename", "firstname", "givenname", "legalforename", "preferredforename", "knownas"},
		colSurname:  {"surname", "lastname", "familyname", "legalsurname"},
		colName:     {"name", "fullname", "staffname"},
		colEmail:    {"email", "emailaddress", "workemail", "schoolemail", "email1"},
		colMobile:   {"mobile", "mobilephone", "mobilenumber", "mobiletelephone", "phone", "telephone"},
		colRole:     {"role", "roles", "jobtitle", "post", "staffrole", "position", "stafftype"},
	}
)

// normaliseHeader keeps a header's letters and digits, lower-cased: "E-mail Address" is
// "emailaddress".
func normaliseHeader(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func fileError(format string, args ...any) error {
	var ps safeguarding.Problems
	ps.Add("file", format, args...)
	return ps.Err()
}

// RoleFrom maps the file's role or job title to a role: one naming a teacher is a teacher,
// anything else staff.
func RoleFrom(s string) safeguarding.Role {
	if strings.Contains(strings.ToLower(s), "teacher") {
		return safeguarding.RoleTeacher
	}
	return safeguarding.RoleStaff
}

// DecodeImport reads the staff export. err is for a file that is not one at all (empty, not
// UTF-8, no email column, no name columns, too many rows): a validation error naming "file".
// Otherwise every row is in rows or, with each of its problems, in errs; of rows repeating an
// email, the first is read and the later ones are errors.
func DecodeImport(data []byte) (rows []ImportRow, errs []RowError, err error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		return nil, nil, fileError("the file is not UTF-8 text: export it from the MIS as CSV (UTF-8)")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return nil, nil, fileError("the file is empty: it needs a header row and a row for each member of staff")
	}
	if err != nil {
		return nil, nil, fileError("the header row is not valid CSV")
	}
	var at [numCols]int
	for i := range at {
		at[i] = -1
	}
	for i, h := range header {
		n := normaliseHeader(h)
		for c, aliases := range colAliases {
			for _, a := range aliases {
				if n == a && at[c] < 0 {
					at[c] = i
				}
			}
		}
	}
	if at[colEmail] < 0 {
		return nil, nil, fileError("the header has no email column: this is not the MIS's staff export")
	}
	if at[colName] < 0 && (at[colForename] < 0 || at[colSurname] < 0) {
		return nil, nil, fileError("the header has no forename and surname columns: this is not the MIS's staff export")
	}
	seen := map[string]int{}
	count := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			errs = append(errs, RowError{Line: pe.StartLine, Field: "row", Message: "the row is not valid CSV: check its quote marks"})
			if count++; count > MaxImportRows {
				return nil, nil, fileError("the file has more than %d rows: split it, or check it is the staff export", MaxImportRows)
			}
			continue
		}
		if err != nil {
			return nil, nil, fileError("the file could not be read")
		}
		if blank(rec) {
			continue
		}
		if count++; count > MaxImportRows {
			return nil, nil, fileError("the file has more than %d rows: split it, or check it is the staff export", MaxImportRows)
		}
		line, _ := r.FieldPos(0)
		get := func(c int) string {
			if at[c] < 0 || at[c] >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[at[c]])
		}
		name := get(colName)
		if name == "" {
			name = strings.TrimSpace(get(colForename) + " " + get(colSurname))
		}
		n := NewMember{Name: name, Email: get(colEmail), Mobile: get(colMobile), Roles: []safeguarding.Role{RoleFrom(get(colRole))}}
		checked, err := n.check()
		var problems []RowError
		var ve *safeguarding.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				field := p.Field
				switch {
				case field == "name" && at[colName] < 0:
					field = colNames[colForename]
				case field == "roles":
					field = colNames[colRole]
				}
				problems = append(problems, RowError{Line: line, Field: field, Message: p.Message})
			}
		}
		if checked.Email != "" {
			if prev, ok := seen[checked.Email]; ok {
				problems = append(problems, RowError{Line: line, Field: "email", Message: fmt.Sprintf("this email is already on line %d: a person has one row", prev)})
			} else {
				seen[checked.Email] = line
			}
		}
		if len(problems) > 0 {
			errs = append(errs, problems...)
			continue
		}
		rows = append(rows, ImportRow{Line: line, NewMember: checked})
	}
	return rows, errs, nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
