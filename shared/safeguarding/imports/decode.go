package imports

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Bounds on what one file may hold, so that a hostile or mistaken file cannot exhaust memory.
const (
	MaxRows        = 20000 // pupils' rows in one file, blank rows aside
	MaxContacts    = 10    // numbered contacts read per pupil
	MaxFieldChars  = 200   // characters in any one field read
	MaxRowProblems = 10000 // past this the file is refused as a whole: it is likely the wrong file
)

// Address is a pupil's home address as the MIS exports it, each part trimmed.
type Address struct{ Line1, Line2, Line3, Town, County, Postcode string }

// Contact is one of a pupil's numbered contacts.
type Contact struct {
	Forename, Surname  string // or both from "Contact N Name" split at the last space
	Relationship       string
	Responsibility     bool   // parental responsibility (Y/Yes/True/1)
	Priority           int    // 0 when absent; else the contact's order
	Mobile, Home, Work string // E.164 ("+447700900123"), "" when absent
	Email              string // lower-cased, trimmed
}

// Row is one pupil's row of the export, every field trimmed.
type Row struct {
	Line                                 int    // the file's line of this row (the header is line 1; a quoted field spanning lines counts its lines)
	UPN                                  string // upper-cased, trimmed
	Surname, Forename, PreferredForename string
	DateOfBirth                          time.Time // local midnight in safeguarding.London; zero when absent
	YearGroup                            string
	RegGroup                             string
	Attendance                           float64 // percentage 0-100
	HasAttendance                        bool
	LeavingDate                          time.Time // zero when absent
	Left                                 bool      // the enrolment status says the pupil has left
	Contacts                             []Contact // in the file's numbering order, empty contacts (every field blank) left out
	Address                              Address
}

// RowError is one problem with one row. Field is the column's canonical name ("upn",
// "dateOfBirth", "contact2Mobile"), or "row" for a problem with the row as a whole (it is not
// valid CSV, or it has more fields than the header); Message says what is wrong in plain
// words for the office, without repeating the value: the office may not see a family's
// contact details (rule P3), and the import's report outlives the file.
type RowError struct {
	Line           int
	Field, Message string
	// UPN is the row's UPN when it could be read: a pupil whose row failed is left as they
	// are by the import, never updated and never leaving by it.
	UPN string
}

// Decode reads a school's MIS pupil export, a CSV file whose first row is its header. err is
// for a file that is not a readable export at all (empty, not UTF-8 text, XML, a header
// without the UPN, surname or forename columns, too many rows or problems): a
// *safeguarding.ValidationError naming the field "file". Otherwise every row is either in
// rows or, with each of its problems, in errs; of rows repeating a UPN, the first is read and
// the later ones are errors.
func Decode(data []byte) (rows []Row, errs []RowError, err error) {
	data = bytes.TrimPrefix(data, bom)
	switch {
	case LooksLikeXML(data):
		return nil, nil, fileError("this is an XML file (a Common Transfer File?), not the MIS's CSV export of pupils")
	case !utf8.Valid(data):
		return nil, nil, fileError("the file is not UTF-8 text: export it from the MIS as CSV (UTF-8)")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, nil, fileError("the file is empty: it needs a header row and a row for each pupil")
	}
	if err != nil {
		return nil, nil, fileError("the header row is not valid CSV: %s", csvProblem(err))
	}
	l, err := readHeader(header)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]int{} // UPN -> the line of its first row
	count := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var line int
		var problems []RowError
		var row Row
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			line = pe.StartLine
			problems = []RowError{{Line: line, Field: "row", Message: "the row is not valid CSV: " + csvProblem(err)}}
		case err != nil:
			return nil, nil, fileError("the file could not be read: %v", err)
		case blank(rec):
			continue // spreadsheets leave rows of empty cells behind
		default:
			line, _ = r.FieldPos(0)
			row, problems = l.readRow(rec, line)
			if prev, ok := seen[row.UPN]; ok && row.UPN != "" {
				problems = append(problems, RowError{Line: line, Field: pupilNames[fUPN], Message: fmt.Sprintf("this UPN is already on line %d: a pupil has one row", prev)})
			} else if row.UPN != "" {
				seen[row.UPN] = line
			}
		}
		if count++; count > MaxRows {
			return nil, nil, fileError("the file has more than %d pupils' rows: split it, or check it is the pupil export", MaxRows)
		}
		if len(problems) == 0 {
			rows = append(rows, row)
			continue
		}
		for i := range problems {
			problems[i].UPN = row.UPN
		}
		if errs = append(errs, problems...); len(errs) > MaxRowProblems {
			return nil, nil, fileError("the file has more than %d problems: check it is the MIS's pupil export, with its header row", MaxRowProblems)
		}
	}
	return rows, errs, nil
}

// Hash is the file's SHA-256 in hex, for the import's audit entry: it names the very file
// read without keeping what it holds.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// LooksLikeXML reports whether the file is XML (after an optional byte-order mark and white
// space it starts with '<'), as the DfE Common Transfer File is, rather than a CSV export.
func LooksLikeXML(data []byte) bool {
	data = bytes.TrimLeft(bytes.TrimPrefix(data, bom), " \t\r\n")
	return len(data) > 0 && data[0] == '<'
}

var bom = []byte("\xEF\xBB\xBF")

func fileError(format string, args ...any) error {
	var ps safeguarding.Problems
	ps.Add("file", format, args...)
	return ps.Err()
}

// csvProblem says in the office's words what encoding/csv found wrong.
func csvProblem(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a field has a quote mark (") but does not start with one: put the whole field in quotes and double the quote mark`
	case errors.Is(err, csv.ErrQuote):
		return `a quoted field has a quote mark (") that is not doubled, or is never closed`
	}
	return err.Error()
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// readRow reads one record by the header's layout, with every problem it has.
func (l layout) readRow(rec []string, line int) (Row, []RowError) {
	row := Row{Line: line}
	var problems []RowError
	bad := func(field, format string, args ...any) {
		problems = append(problems, RowError{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if extra := rec[min(l.width, len(rec)):]; !blank(extra) {
		bad("row", "the row has %d fields but the header has %d: a field with a comma in it needs quotes around it", len(rec), l.width)
	}
	// text reads the field at column i, trimmed, or "" (with its problem) when it is not text
	// of a field's length.
	text := func(i int, field string) string {
		if i < 0 || i >= len(rec) {
			return "" // short rows: missing trailing fields are blank
		}
		s := strings.TrimSpace(rec[i])
		switch {
		case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
			bad(field, "has characters that are not text")
			return ""
		case utf8.RuneCountInString(s) > MaxFieldChars:
			bad(field, "is longer than %d characters", MaxFieldChars)
			return ""
		}
		return s
	}
	pupil := func(f pupilField) string { return text(l.pupil[f], pupilNames[f]) }

	row.UPN = strings.ToUpper(pupil(fUPN))
	row.Surname = pupil(fSurname)
	row.Forename = pupil(fForename)
	for _, f := range []struct {
		f pupilField
		s string
	}{{fUPN, row.UPN}, {fSurname, row.Surname}, {fForename, row.Forename}} {
		if f.s == "" && !hasProblem(problems, pupilNames[f.f]) {
			bad(pupilNames[f.f], "is missing: every pupil needs a UPN, a surname and a forename")
		}
	}
	row.PreferredForename = pupil(fPreferredForename)
	row.YearGroup = pupil(fYearGroup)
	row.RegGroup = pupil(fRegGroup)
	for _, d := range []struct {
		f  pupilField
		to *time.Time
	}{{fDateOfBirth, &row.DateOfBirth}, {fLeavingDate, &row.LeavingDate}} {
		if s := pupil(d.f); s != "" {
			t, ok := parseDate(s)
			if !ok {
				bad(pupilNames[d.f], "is not a date: write it as 31/01/2015 or 2015-01-31")
			}
			*d.to = t
		}
	}
	if s := pupil(fAttendance); s != "" {
		a, ok := parseAttendance(s)
		if !ok {
			bad(pupilNames[fAttendance], "is not an attendance figure: a percentage from 0 to 100, like 93.5 or 93.5%%")
		}
		row.Attendance, row.HasAttendance = a, ok
	}
	switch strings.ToLower(pupil(fEnrolmentStatus)) {
	case "left", "leaver", "l":
		row.Left = true
	}
	row.Address = Address{
		Line1: pupil(fAddressLine1), Line2: pupil(fAddressLine2), Line3: pupil(fAddressLine3),
		Town: pupil(fTown), County: pupil(fCounty), Postcode: pupil(fPostcode),
	}

	for _, cc := range l.contacts {
		var v [numContactFields]string
		empty := true
		for f := range v {
			v[f] = text(cc.at[f], cc.field[f])
			empty = empty && v[f] == "" && !hasProblem(problems, cc.field[f])
		}
		if empty {
			continue
		}
		c := Contact{Forename: v[cForename], Surname: v[cSurname], Relationship: v[cRelationship]}
		if c.Forename == "" && c.Surname == "" {
			c.Forename, c.Surname = splitName(v[cName])
		}
		if s := v[cResponsibility]; s != "" {
			yes, ok := parseYesNo(s)
			if !ok {
				bad(cc.field[cResponsibility], "is not Y or N")
			}
			c.Responsibility = yes
		}
		if s := v[cPriority]; s != "" {
			p, err := strconv.Atoi(s)
			if err != nil || p < 0 || p > 99 {
				bad(cc.field[cPriority], "is not a contact's order: a whole number like 1 or 2")
			}
			c.Priority = p
		}
		for _, ph := range []struct {
			f  contactField
			to *string
		}{{cMobile, &c.Mobile}, {cHome, &c.Home}, {cWork, &c.Work}} {
			if s := v[ph.f]; s != "" {
				p, ok := safeguarding.ParsePhone(s)
				if !ok {
					bad(cc.field[ph.f], "is not a phone number: a UK number like 07700 900123, or one from abroad starting with +")
					continue
				}
				*ph.to = p.E164()
			}
		}
		if s := v[cEmail]; s != "" {
			e, ok := safeguarding.NormaliseEmail(s)
			if !ok {
				bad(cc.field[cEmail], "is not an email address")
			}
			c.Email = e
		}
		row.Contacts = append(row.Contacts, c)
	}
	for _, b := range l.beyond {
		if text(b.at, b.field) != "" {
			bad(b.field, "at most %d contacts are read for a pupil: leave this one out of the export", MaxContacts)
		}
	}
	return row, problems
}

func hasProblem(problems []RowError, field string) bool {
	for _, p := range problems {
		if p.Field == field {
			return true
		}
	}
	return false
}

// parseDate reads DD/MM/YYYY (D/M/YYYY too) or YYYY-MM-DD as local midnight in London,
// refusing dates that do not exist (31/02/2015) and years outside 1900-2199, which are typing
// slips rather than dates a school keeps.
func parseDate(s string) (time.Time, bool) {
	var parts []string
	var d, m, y string
	switch {
	case strings.Count(s, "/") == 2:
		parts = strings.Split(s, "/")
		d, m, y = parts[0], parts[1], parts[2]
	case strings.Count(s, "-") == 2:
		parts = strings.Split(s, "-")
		y, m, d = parts[0], parts[1], parts[2]
		if len(m) != 2 || len(d) != 2 {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	day, ok1 := number(d, 1, 2)
	month, ok2 := number(m, 1, 2)
	year, ok3 := number(y, 4, 4)
	if !ok1 || !ok2 || !ok3 || year < 1900 || year > 2199 || month < 1 || month > 12 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, safeguarding.London)
	if t.Day() != day || t.Month() != time.Month(month) {
		return time.Time{}, false
	}
	return t, true
}

// number reads between min and max ASCII digits.
func number(s string, minDigits, maxDigits int) (int, bool) {
	if len(s) < minDigits || len(s) > maxDigits {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseAttendance reads a percentage from 0 to 100, with or without its "%": digits with at
// most one decimal point, so that "NaN", "1e2" and "0x64" are not figures.
func parseAttendance(s string) (float64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	if s == "" || strings.Trim(s, "0123456789.") != "" || strings.Count(s, ".") > 1 || s == "." {
		return 0, false
	}
	a, err := strconv.ParseFloat(s, 64)
	if err != nil || a < 0 || a > 100 {
		return 0, false
	}
	return a, true
}

// parseYesNo reads parental responsibility as the MIS writes it.
func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "y", "yes", "true", "1":
		return true, true
	case "n", "no", "false", "0":
		return false, true
	}
	return false, false
}

// splitName splits a contact's whole name: "Surname, Forename" at its comma, otherwise at the
// last space ("Mary Jane Smith": "Mary Jane" and "Smith"). One word is taken as the surname.
func splitName(s string) (forename, surname string) {
	if before, after, ok := strings.Cut(s, ","); ok && !strings.Contains(after, ",") {
		return strings.TrimSpace(after), strings.TrimSpace(before)
	}
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		return s[:i], s[i+1:]
	}
	return "", s
}
