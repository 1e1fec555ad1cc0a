package imports

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, safeguarding.London)
}

// decodeClean decodes a file that must have no problem at all.
func decodeClean(t *testing.T, file string) []Row {
	t.Helper()
	rows, errs, err := Decode([]byte(file))
	if err != nil || len(errs) > 0 {
		t.Fatalf("Decode: err %v, row errors %+v", err, errs)
	}
	return rows
}

func sameRows(t *testing.T, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// shapes are files in the shapes MISs and spreadsheets write, each with the rows it holds.
var shapes = []struct {
	name string
	file string
	want []Row
}{
	{"a plain file",
		"UPN,Surname,Forename\nA123456789012,Smith,Ann\n",
		[]Row{{Line: 2, UPN: "A123456789012", Surname: "Smith", Forename: "Ann"}}},
	{"a byte-order mark before the header",
		"\xEF\xBB\xBFUPN,Surname,Forename\nA1,Smith,Ann\n",
		[]Row{{Line: 2, UPN: "A1", Surname: "Smith", Forename: "Ann"}}},
	{"CRLF line endings, and none after the last row",
		"UPN,Surname,Forename\r\nA1,Smith,Ann\r\nB2,Jones,Bob",
		[]Row{{Line: 2, UPN: "A1", Surname: "Smith", Forename: "Ann"}, {Line: 3, UPN: "B2", Surname: "Jones", Forename: "Bob"}}},
	{"columns in any order, unknown ones ignored",
		"Gender,Forename,Ethnicity,UPN,Free School Meals,Surname\nF,Ann,WBRI,A1,N,Smith\n",
		[]Row{{Line: 2, UPN: "A1", Surname: "Smith", Forename: "Ann"}}},
	{"headers in any case, with spaces, underscores and punctuation",
		"Legal_Surname,legal forename,U.P.N.,DATE OF BIRTH,Attendance %,Preferred-Name,NC Year,Registration Group,Date of Leaving,ENROLMENT_STATUS\n" +
			"Smith,Ann,a1,01/09/2015,93.5%,Annie,Year 5,5B,,Current\n",
		[]Row{{Line: 2, UPN: "A1", Surname: "Smith", Forename: "Ann", PreferredForename: "Annie", DateOfBirth: day(2015, 9, 1),
			YearGroup: "Year 5", RegGroup: "5B", Attendance: 93.5, HasAttendance: true}}},
	{"other names MISs give the same columns",
		"upn,Last Name,First Name,Preferred Forename,DOB,Year Group,Form,Attendance,Leaving Date\n" +
			"A1,Smith,Ann,,2015-09-01,5,5B,88,2026-07-22\n",
		[]Row{{Line: 2, UPN: "A1", Surname: "Smith", Forename: "Ann", DateOfBirth: day(2015, 9, 1), YearGroup: "5", RegGroup: "5B",
			Attendance: 88, HasAttendance: true, LeavingDate: day(2026, 7, 22)}}},
	{"the legal surname and forename are read before the others",
		"Surname,Legal Surname,Forename,Legal Forename,UPN,Class,Reg Group\nSmyth,Smith,Annie,Ann,A1,Owls,5B\n",
		[]Row{{Line: 2, UPN: "A1", Surname: "Smith", Forename: "Ann", RegGroup: "5B"}}},
	{"quoted fields with commas and doubled quotes",
		"UPN,Surname,Forename,Preferred Forename,Address Line 1,Town\n" +
			"A1,\"O'Neil, Jr\",Ann,\"Annie \"\"Nan\"\"\",\"3, High Street\",Bristol\n",
		[]Row{{Line: 2, UPN: "A1", Surname: "O'Neil, Jr", Forename: "Ann", PreferredForename: `Annie "Nan"`,
			Address: Address{Line1: "3, High Street", Town: "Bristol"}}}},
	{"a quoted field spanning two lines, and the lines of the rows after it",
		"UPN,Surname,Forename,Address Line 1\r\nA1,Smith,Ann,\"Flat 2\r\n3 High Street\"\r\nB2,Jones,Bob,\r\nC3,Khan,Cal,\"1\n2\n3\"\nD4,Lee,Dee,\n",
		[]Row{{Line: 2, UPN: "A1", Surname: "Smith", Forename: "Ann", Address: Address{Line1: "Flat 2\n3 High Street"}},
			{Line: 4, UPN: "B2", Surname: "Jones", Forename: "Bob"},
			{Line: 5, UPN: "C3", Surname: "Khan", Forename: "Cal", Address: Address{Line1: "1\n2\n3"}},
			{Line: 8, UPN: "D4", Surname: "Lee", Forename: "Dee"}}},
	{"short rows: the missing trailing fields are blank",
		"UPN,Surname,Forename,DOB,Attendance,Postcode\nA1,Smith,Ann\nB2,Jones,Bob,2016-01-31\n",
		[]Row{{Line: 2, UPN: "A1", Surname: "Smith", Forename: "Ann"},
			{Line: 3, UPN: "B2", Surname: "Jones", Forename: "Bob", DateOfBirth: day(2016, 1, 31)}}},
	{"blank lines and rows of empty cells are skipped, the lines still the file's",
		"UPN,Surname,Forename\n\nA1,Smith,Ann\n,,\n , ,\nB2,Jones,Bob\n,,,,\n",
		[]Row{{Line: 3, UPN: "A1", Surname: "Smith", Forename: "Ann"}, {Line: 6, UPN: "B2", Surname: "Jones", Forename: "Bob"}}},
	{"empty fields past the header's last column are ignored",
		"UPN,Surname,Forename\nA1,Smith,Ann,,, \n",
		[]Row{{Line: 2, UPN: "A1", Surname: "Smith", Forename: "Ann"}}},
	{"fields trimmed, the UPN upper-cased",
		"UPN,Surname,Forename,Town\n  a1b  , Smith ,\tAnn , Bristol \n",
		[]Row{{Line: 2, UPN: "A1B", Surname: "Smith", Forename: "Ann", Address: Address{Town: "Bristol"}}}},
	{"an enrolment status of left, leaver or L means the pupil has left; any other does not",
		"UPN,Surname,Forename,Enrolment Status\nA1,A,A,Left\nB2,B,B,leaver\nC3,C,C,l\nD4,D,D,Current\nE5,E,E,Guest\nF6,F,F,\n",
		[]Row{{Line: 2, UPN: "A1", Surname: "A", Forename: "A", Left: true}, {Line: 3, UPN: "B2", Surname: "B", Forename: "B", Left: true},
			{Line: 4, UPN: "C3", Surname: "C", Forename: "C", Left: true}, {Line: 5, UPN: "D4", Surname: "D", Forename: "D"},
			{Line: 6, UPN: "E5", Surname: "E", Forename: "E"}, {Line: 7, UPN: "F6", Surname: "F", Forename: "F"}}},
	{"the whole address",
		"UPN,Surname,Forename,Address Line 1,Address Line 2,Address Line 3,Town,County,Postcode\nA1,Smith,Ann,Flat 2,3 High Street,Redland,Bristol,Avon,BS6 6AA\n",
		[]Row{{Line: 2, UPN: "A1", Surname: "Smith", Forename: "Ann",
			Address: Address{Line1: "Flat 2", Line2: "3 High Street", Line3: "Redland", Town: "Bristol", County: "Avon", Postcode: "BS6 6AA"}}}},
	{"a header and no pupils",
		"UPN,Surname,Forename\r\n",
		nil},
}

func TestDecodeReadsTheShapesOfCSVFiles(t *testing.T) {
	for _, tc := range shapes {
		t.Run(tc.name, func(t *testing.T) {
			sameRows(t, decodeClean(t, tc.file), tc.want)
		})
	}
}

// TestRule_C9_P3_S7_ImportDecodesTheShapesMISsWrite reads exports laid out as the common MISs
// lay them out: each pupil's date of birth (S7), attendance (C9) and contacts' details (P3).
func TestRule_C9_P3_S7_ImportDecodesTheShapesMISsWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		want []Row
	}{
		{"legal names, DD/MM/YYYY, a percentage sign and contacts' forenames and surnames",
			"\xEF\xBB\xBFUPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Year,Reg Group,Attendance %,Enrolment Status," +
				"Contact 1 Forename,Contact 1 Surname,Contact 1 Relationship,Contact 1 Responsibility,Contact 1 Priority,Contact 1 Mobile,Contact 1 Home Phone,Contact 1 Work Phone,Contact 1 Email," +
				"Contact 2 Forename,Contact 2 Surname,Contact 2 Relationship,Contact 2 Responsibility,Contact 2 Priority,Contact 2 Mobile,Contact 2 Home Phone,Contact 2 Work Phone,Contact 2 Email\r\n" +
				"A123456789012,Smith,Ann,Annie,14/03/2016,Year 5,5B,87.25%,Current," +
				"Mary,Smith,Mother,Y,1,07700 900123,0117 496 0123,,Mary.Smith@Example.ORG ," +
				"John,Smith,Father,N,2,+44 7700 900456,,020 7946 0123,\r\n",
			[]Row{{Line: 2, UPN: "A123456789012", Surname: "Smith", Forename: "Ann", PreferredForename: "Annie",
				DateOfBirth: day(2016, 3, 14), YearGroup: "Year 5", RegGroup: "5B", Attendance: 87.25, HasAttendance: true,
				Contacts: []Contact{
					{Forename: "Mary", Surname: "Smith", Relationship: "Mother", Responsibility: true, Priority: 1,
						Mobile: "+447700900123", Home: "+441174960123", Email: "mary.smith@example.org"},
					{Forename: "John", Surname: "Smith", Relationship: "Father", Priority: 2,
						Mobile: "+447700900456", Work: "+442079460123"},
				}}}},
		{"ISO dates, a plain figure and contacts' whole names",
			"Forename,Surname,UPN,Date of Birth,Year Group,Registration Group,Attendance," +
				"Contact 1 Name,Contact 1 Relationship,Contact 1 Parental Responsibility,Contact 1 Order,Contact 1 Telephone," +
				"Contact 2 Name,Contact 2 Relationship,Contact 2 Parental Responsibility,Contact 2 Order,Contact 2 Telephone\n" +
				"Bob,Jones,B987654321098,2014-11-30,6,6J,92," +
				"Mary Jane Jones,Mother,Yes,1,0044 117 496 0124," +
				"\"Jones, Peter\",Grandfather,No,2,+33 1 23 45 67 89\n",
			[]Row{{Line: 2, UPN: "B987654321098", Surname: "Jones", Forename: "Bob", DateOfBirth: day(2014, 11, 30),
				YearGroup: "6", RegGroup: "6J", Attendance: 92, HasAttendance: true,
				Contacts: []Contact{
					{Forename: "Mary Jane", Surname: "Jones", Relationship: "Mother", Responsibility: true, Priority: 1, Home: "+441174960124"},
					{Forename: "Peter", Surname: "Jones", Relationship: "Grandfather", Priority: 2, Home: "+33123456789"},
				}}}},
		{"no attendance or date of birth given: both absent, not zero",
			"UPN,Surname,Forename,DOB,Attendance\nC1,Khan,Cal,,\n",
			[]Row{{Line: 2, UPN: "C1", Surname: "Khan", Forename: "Cal"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sameRows(t, decodeClean(t, tc.file), tc.want)
		})
	}
}

// TestRule_S7_ADateOfBirthIsKeptInEitherFormAndAnImpossibleOneIsRefused: the date rule S7
// counts from is the one the MIS holds, as a school-local day, or the row is refused.
func TestRule_S7_ADateOfBirthIsKeptInEitherFormAndAnImpossibleOneIsRefused(t *testing.T) {
	for _, tc := range []struct {
		dob  string
		want time.Time // zero: refused
	}{
		{"01/09/2015", day(2015, 9, 1)},
		{"2015-09-01", day(2015, 9, 1)},
		{"1/9/2015", day(2015, 9, 1)},
		{"29/02/2016", day(2016, 2, 29)},
		{"2016-02-29", day(2016, 2, 29)},
		{"15/06/2015", day(2015, 6, 15)}, // British Summer Time: still London's midnight
		{"31/02/2015", time.Time{}},
		{"29/02/2015", time.Time{}},
		{"2015-02-30", time.Time{}},
		{"00/01/2015", time.Time{}},
		{"13/13/2015", time.Time{}},
		{"2015-13-01", time.Time{}},
		{"2015-9-1", time.Time{}},
		{"01/09/15", time.Time{}},
		{"01-09-2015", time.Time{}},
		{"2015/09/01", time.Time{}},
		{"01/09/0015", time.Time{}},
		{"01.09.2015", time.Time{}},
		{"1st September 2015", time.Time{}},
		{"+1/09/2015", time.Time{}},
		{"01/09/2015 00:00", time.Time{}},
	} {
		t.Run(tc.dob, func(t *testing.T) {
			rows, errs, err := Decode([]byte("UPN,Surname,Forename,Date of Birth\nA1,Smith,Ann," + tc.dob + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.want.IsZero() {
				want := []RowError{{Line: 2, Field: "dateOfBirth", Message: "is not a date: write it as 31/01/2015 or 2015-01-31"}}
				if len(rows) != 0 || !reflect.DeepEqual(withoutUPN(errs), want) {
					t.Fatalf("rows %+v, errors %+v; want the row refused with %+v", rows, errs, want)
				}
				return
			}
			if len(errs) != 0 || len(rows) != 1 {
				t.Fatalf("rows %+v, errors %+v", rows, errs)
			}
			got := rows[0].DateOfBirth
			if !got.Equal(tc.want) || got.Location() != safeguarding.London || got.Hour() != 0 {
				t.Errorf("date of birth %v, want %v (London's midnight)", got, tc.want)
			}
		})
	}
}

// TestRule_C9_AttendanceIsReadAsAPercentageAndABadFigureIsRefused: the figure rule C9 lists
// pupils below 90% by is read as the MIS writes it, and a row whose figure is not one is
// refused rather than read as 0%.
func TestRule_C9_AttendanceIsReadAsAPercentageAndABadFigureIsRefused(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"93.5", 93.5, true},
		{"93.5%", 93.5, true},
		{" 89.9 % ", 89.9, true},
		{"100", 100, true},
		{"0", 0, true},
		{"0.0%", 0, true},
		{"90.", 90, true},
		{".5", 0.5, true},
		{"100.01", 0, false},
		{"-5", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"1e2", 0, false},
		{"0x5A", 0, false},
		{"93.5.1", 0, false},
		{"93,5", 0, false},
		{"%", 0, false},
		{".", 0, false},
		{"93%%", 0, false},
		{"ninety", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			rows, errs, err := Decode([]byte("UPN,Surname,Forename,Attendance %\nA1,Smith,Ann,\"" + tc.in + "\"\n"))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.ok {
				want := []RowError{{Line: 2, Field: "attendance", Message: "is not an attendance figure: a percentage from 0 to 100, like 93.5 or 93.5%"}}
				if len(rows) != 0 || !reflect.DeepEqual(withoutUPN(errs), want) {
					t.Fatalf("rows %+v, errors %+v; want the row refused with %+v", rows, errs, want)
				}
				return
			}
			if len(errs) != 0 || len(rows) != 1 || !rows[0].HasAttendance || rows[0].Attendance != tc.want {
				t.Fatalf("rows %+v, errors %+v; want attendance %v", rows, errs, tc.want)
			}
		})
	}
}

// TestRule_P3_ContactsAreReadInTheOneFormTheirDetailsAreKept: a family's numbers go through
// the kernel's one phone parser into E.164, emails are lower-cased, and contacts come in their
// numbering order, empty ones left out.
func TestRule_P3_ContactsAreReadInTheOneFormTheirDetailsAreKept(t *testing.T) {
	const header = "UPN,Surname,Forename," +
		"Contact 3 Name,Contact 3 Mobile," +
		"Contact 2 Forename,Contact 2 Surname,Contact 2 Name,Contact 2 Mobile Phone,Contact 2 Telephone,Contact 2 Work Phone,Contact 2 Email Address,Contact 2 Responsibility,Contact 2 Priority," +
		"Contact 1 Name,Contact 1 Mobile,Contact 1 Home Phone,Contact 1 Responsibility\n"
	for _, tc := range []struct {
		name string
		row  string
		want []Contact
	}{
		{"contacts in their numbering order, whatever the columns' order",
			"A1,Smith,Ann,Ray Smith,07700 900003,Sue,Smith,,07700-900002,,,,,,Tom Smith,(07700) 900001,,\n",
			[]Contact{{Forename: "Tom", Surname: "Smith", Mobile: "+447700900001"},
				{Forename: "Sue", Surname: "Smith", Mobile: "+447700900002"},
				{Forename: "Ray", Surname: "Smith", Mobile: "+447700900003"}}},
		{"an empty contact is left out, even between two others",
			"A1,Smith,Ann,Ray Smith,,,,,,,,,,,Tom Smith,,,\n",
			[]Contact{{Forename: "Tom", Surname: "Smith"}, {Forename: "Ray", Surname: "Smith"}}},
		{"a contact with only a number is still a contact",
			"A1,Smith,Ann,,+44 7700 900003,,,,,,,,,,,,,\n",
			[]Contact{{Mobile: "+447700900003"}}},
		{"a whole name split at its last space, or at a comma after the surname; one word is a surname",
			"A1,Smith,Ann,\"Smith, Ray\",,,,Mum,,,,,,,  Mary   Jane  Smith ,,,\n",
			[]Contact{{Forename: "Mary Jane", Surname: "Smith"}, {Surname: "Mum"}, {Forename: "Ray", Surname: "Smith"}}},
		{"a forename or surname column is read before the whole name",
			"A1,Smith,Ann,,,,Smith,Sue Jones,,,,,,,,,,\n",
			[]Contact{{Surname: "Smith"}}},
		{"every number in E.164; responsibility and priority read",
			"A1,Smith,Ann,,,Sue,Smith,,0044 7700 900002,0117 496 0123,+33 1 23 45 67 89, SUE@Example.org ,True,3,,,,1\n",
			[]Contact{{Responsibility: true},
				{Forename: "Sue", Surname: "Smith", Mobile: "+447700900002", Home: "+441174960123", Work: "+33123456789",
					Email: "sue@example.org", Responsibility: true, Priority: 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := decodeClean(t, header+tc.row)
			if len(rows) != 1 || !reflect.DeepEqual(rows[0].Contacts, tc.want) {
				t.Fatalf("contacts %+v\nwant %+v", rows, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		row   string
		field string
		msg   string
	}{
		{"a number that is not one", "A1,Smith,Ann,Ray Smith,077009001234,,,,,,,,,,,,,", "contact3Mobile",
			"is not a phone number: a UK number like 07700 900123, or one from abroad starting with +"},
		{"a number without its leading 0", "A1,Smith,Ann,,,Sue,,,,7700900002,,,,,,,,", "contact2HomePhone",
			"is not a phone number: a UK number like 07700 900123, or one from abroad starting with +"},
		{"a number with letters", "A1,Smith,Ann,,,,,,,,0117 496 O123,,,,,,,", "contact2WorkPhone",
			"is not a phone number: a UK number like 07700 900123, or one from abroad starting with +"},
		{"an email that is not one", "A1,Smith,Ann,,,Sue,,,,,,sue at example.org,,,,,,", "contact2Email", "is not an email address"},
		{"a responsibility that is not Y or N", "A1,Smith,Ann,,,Sue,,,,,,,Maybe,,,,,", "contact2Responsibility", "is not Y or N"},
		{"a priority that is not a whole number", "A1,Smith,Ann,,,Sue,,,,,,,,first,,,,", "contact2Priority",
			"is not a contact's order: a whole number like 1 or 2"},
		{"a negative priority", "A1,Smith,Ann,,,Sue,,,,,,,,-1,,,,", "contact2Priority",
			"is not a contact's order: a whole number like 1 or 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, errs, err := Decode([]byte(header + tc.row + "\n"))
			want := []RowError{{Line: 2, Field: tc.field, Message: tc.msg}}
			if err != nil || len(rows) != 0 || !reflect.DeepEqual(withoutUPN(errs), want) {
				t.Fatalf("rows %+v, errors %+v, err %v; want %+v", rows, errs, err, want)
			}
		})
	}
}

// rowProblems are files with problems in their rows, each with the rows still read (by UPN)
// and the problems reported.
var rowProblems = []struct {
	name string
	file string
	rows []string
	errs []RowError
}{
	{"a pupil without a UPN, a surname or a forename",
		"UPN,Surname,Forename\n,Smith,Ann\nB2,,Bob\nC3,Khan, \n , , ,x\nE5,Lee,Dee\n",
		[]string{"E5"},
		[]RowError{
			{Line: 2, Field: "upn", Message: "is missing: every pupil needs a UPN, a surname and a forename"},
			{Line: 3, Field: "surname", Message: "is missing: every pupil needs a UPN, a surname and a forename"},
			{Line: 4, Field: "forename", Message: "is missing: every pupil needs a UPN, a surname and a forename"},
			{Line: 5, Field: "row", Message: "the row has 4 fields but the header has 3: a field with a comma in it needs quotes around it"},
			{Line: 5, Field: "upn", Message: "is missing: every pupil needs a UPN, a surname and a forename"},
			{Line: 5, Field: "surname", Message: "is missing: every pupil needs a UPN, a surname and a forename"},
			{Line: 5, Field: "forename", Message: "is missing: every pupil needs a UPN, a surname and a forename"},
		}},
	{"a bad date of either form, and an impossible one",
		"UPN,Surname,Forename,DOB,Leaving Date\nA1,Smith,Ann,31/02/2015,\nB2,Jones,Bob,2015-13-01,\nC3,Khan,Cal,01/09/2015,2026-02-30\nD4,Lee,Dee,2015-09-01,22/07/2026\n",
		[]string{"D4"},
		[]RowError{
			{Line: 2, Field: "dateOfBirth", Message: "is not a date: write it as 31/01/2015 or 2015-01-31"},
			{Line: 3, Field: "dateOfBirth", Message: "is not a date: write it as 31/01/2015 or 2015-01-31"},
			{Line: 4, Field: "leavingDate", Message: "is not a date: write it as 31/01/2015 or 2015-01-31"},
		}},
	{"a repeated UPN: its later rows are errors, the first stays",
		"UPN,Surname,Forename\nA1,Smith,Ann\nB2,Jones,Bob\na1 ,Smith,Annie\nA1,Smith,Ann\n",
		[]string{"A1", "B2"},
		[]RowError{
			{Line: 4, Field: "upn", Message: "this UPN is already on line 2: a pupil has one row"},
			{Line: 5, Field: "upn", Message: "this UPN is already on line 2: a pupil has one row"},
		}},
	{"a repeated UPN whose first row has a problem is still repeated",
		"UPN,Surname,Forename,DOB\nA1,Smith,Ann,31/02/2015\nA1,Smith,Ann,28/02/2015\n",
		nil,
		[]RowError{
			{Line: 2, Field: "dateOfBirth", Message: "is not a date: write it as 31/01/2015 or 2015-01-31"},
			{Line: 3, Field: "upn", Message: "this UPN is already on line 2: a pupil has one row"},
		}},
	{"a number that is not a phone number, a bad email, a bad attendance figure",
		"UPN,Surname,Forename,Attendance,Contact 1 Mobile,Contact 1 Email\nA1,Smith,Ann,93.5,07700 9001,\nB2,Jones,Bob,,,bob@\nC3,Khan,Cal,110%,,\n",
		nil,
		[]RowError{
			{Line: 2, Field: "contact1Mobile", Message: "is not a phone number: a UK number like 07700 900123, or one from abroad starting with +"},
			{Line: 3, Field: "contact1Email", Message: "is not an email address"},
			{Line: 4, Field: "attendance", Message: "is not an attendance figure: a percentage from 0 to 100, like 93.5 or 93.5%"},
		}},
	{"one row with several problems has each of them",
		"UPN,Surname,Forename,DOB,Attendance,Contact 2 Home Phone\n,Smith,Ann,2015-02-29,lots,12345\n",
		nil,
		[]RowError{
			{Line: 2, Field: "upn", Message: "is missing: every pupil needs a UPN, a surname and a forename"},
			{Line: 2, Field: "dateOfBirth", Message: "is not a date: write it as 31/01/2015 or 2015-01-31"},
			{Line: 2, Field: "attendance", Message: "is not an attendance figure: a percentage from 0 to 100, like 93.5 or 93.5%"},
			{Line: 2, Field: "contact2HomePhone", Message: "is not a phone number: a UK number like 07700 900123, or one from abroad starting with +"},
		}},
	{"an over-long field, of a pupil or a contact; 200 characters are fine",
		"UPN,Surname,Forename,Contact 1 Relationship,Town\n" +
			"A1," + strings.Repeat("é", 201) + ",Ann,,\n" +
			"B2,Jones,Bob," + strings.Repeat("x", 201) + ",\n" +
			"C3,Khan,Cal,," + strings.Repeat("é", 200) + "\n" +
			strings.Repeat("D", 201) + ",Lee,Dee,,\n",
		[]string{"C3"},
		[]RowError{
			{Line: 2, Field: "surname", Message: "is longer than 200 characters"},
			{Line: 3, Field: "contact1Relationship", Message: "is longer than 200 characters"},
			{Line: 5, Field: "upn", Message: "is longer than 200 characters"},
		}},
	{"a field with control characters in it",
		"UPN,Surname,Forename\nA1,Smi\x00th,Ann\nB2,Jones,\"Bob\x1b[31m\"\n",
		nil,
		[]RowError{
			{Line: 2, Field: "surname", Message: "has characters that are not text"},
			{Line: 3, Field: "forename", Message: "has characters that are not text"},
		}},
	{"more contacts than are read",
		"UPN,Surname,Forename,Contact 10 Name,Contact 11 Name,Contact 11 Mobile,Contact 99999999999 Email\n" +
			"A1,Smith,Ann,Tom Smith,,,\nB2,Jones,Bob,,Ray Jones,,\nC3,Khan,Cal,,,,cal@example.org\n",
		[]string{"A1"},
		[]RowError{
			{Line: 3, Field: "contact11Name", Message: "at most 10 contacts are read for a pupil: leave this one out of the export"},
			{Line: 4, Field: "contact99999999999Email", Message: "at most 10 contacts are read for a pupil: leave this one out of the export"},
		}},
	{"a row with more fields than the header: an unquoted comma",
		"UPN,Surname,Forename,Address Line 1,Town\nA1,Smith,Ann,3, High Street,Bristol\nB2,Jones,Bob,,Bristol,,\n",
		[]string{"B2"},
		[]RowError{{Line: 2, Field: "row", Message: "the row has 6 fields but the header has 5: a field with a comma in it needs quotes around it"}}},
	{"a row that is not valid CSV, and the lines of the rows after it",
		"UPN,Surname,Forename\nA1,O\"Neil,Ann\nB2,Jones,Bob\nC3,\"Khan\"x,Cal\nD4,\"Lee\nLi\",Dee\nE5,Ng,\"Eve\n",
		[]string{"B2", "D4"},
		[]RowError{
			{Line: 2, Field: "row", Message: `the row is not valid CSV: a field has a quote mark (") but does not start with one: put the whole field in quotes and double the quote mark`},
			{Line: 4, Field: "row", Message: `the row is not valid CSV: a quoted field has a quote mark (") that is not doubled, or is never closed`},
			{Line: 7, Field: "row", Message: `the row is not valid CSV: a quoted field has a quote mark (") that is not doubled, or is never closed`},
		}},
	{"the lines of problems after a quoted field spanning lines",
		"UPN,Surname,Forename,Address Line 1\r\nA1,Smith,Ann,\"Flat 2\r\n3 High Street\"\r\nB2,,Bob,\r\n",
		[]string{"A1"},
		[]RowError{{Line: 4, Field: "surname", Message: "is missing: every pupil needs a UPN, a surname and a forename"}}},
}

func TestDecodeReportsEachRowProblemWithItsLineAndField(t *testing.T) {
	for _, tc := range rowProblems {
		t.Run(tc.name, func(t *testing.T) {
			rows, errs, err := Decode([]byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var upns []string
			for _, r := range rows {
				upns = append(upns, r.UPN)
			}
			if !reflect.DeepEqual(upns, tc.rows) {
				t.Errorf("rows read %q, want %q", upns, tc.rows)
			}
			if !reflect.DeepEqual(withoutUPN(errs), tc.errs) {
				t.Errorf("row errors:\n got %+v\nwant %+v", errs, tc.errs)
			}
		})
	}
}

// notExports are files refused as a whole, each with the start of the reason given.
var notExports = []struct {
	name string
	file string
	want string
}{
	{"an empty file", "", "the file is empty"},
	{"a byte-order mark alone", "\xEF\xBB\xBF", "the file is empty"},
	{"blank lines only", "\r\n\n\r\n", "the file is empty"},
	{"not UTF-8 (Windows-1252)", "UPN,Surname,Forename\nA1,Sm\xe9th,Ann\n", "the file is not UTF-8 text"},
	{"UTF-16", "\xFF\xFEU\x00P\x00N\x00", "the file is not UTF-8 text"},
	{"a Common Transfer File", "<?xml version=\"1.0\"?>\n<CTfile></CTfile>", "this is an XML file"},
	{"a Common Transfer File with a byte-order mark", "\xEF\xBB\xBF\r\n  <CTfile>", "this is an XML file"},
	{"a header without a UPN column", "Surname,Forename\nSmith,Ann\n", "the first row must be the header, with columns for each pupil's UPN, surname and forename; it has none for the UPN"},
	{"a header without surname and forename columns", "UPN,Name\nA1,Ann Smith\n", "the first row must be the header, with columns for each pupil's UPN, surname and forename; it has none for the surname or forename"},
	{"no header: the first row is a pupil", "A1,Smith,Ann\nB2,Jones,Bob\n", "the first row must be the header"},
	{"two columns that give the same field under the same name", "UPN,Surname,Forename,Surname\n", "two columns give the surname: keep one of them"},
	{"two columns that give the same contact's field", "UPN,Surname,Forename,Contact 1 Mobile,contact_1_mobile\n", "two columns give the contact1Mobile"},
	{"a header that is not valid CSV", "UPN,\"Surname,Forename\n", "the header row is not valid CSV"},
	{"more rows than a school has pupils", pupils(MaxRows + 1), "the file has more than 20000 pupils' rows"},
	{"more problems than a pupil export has", "UPN,Surname,Forename,Contact 1 Mobile,Contact 2 Mobile,Contact 3 Mobile\n" +
		strings.Repeat(",,,1,2,3\n", MaxRowProblems/6+1), "the file has more than 10000 problems"},
}

func TestDecodeRefusesFilesThatAreNotAnExport(t *testing.T) {
	for _, tc := range notExports {
		t.Run(tc.name, func(t *testing.T) {
			rows, errs, err := Decode([]byte(tc.file))
			var ve *safeguarding.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, safeguarding.ErrInvalid) {
				t.Fatalf("err %v, want a validation error", err)
			}
			if len(ve.Problems) != 1 || ve.Problems[0].Field != "file" || !strings.HasPrefix(ve.Problems[0].Message, tc.want) {
				t.Errorf("problems %+v, want the file's: %q...", ve.Problems, tc.want)
			}
			if rows != nil || errs != nil {
				t.Errorf("rows %d and row errors %d with a refused file", len(rows), len(errs))
			}
		})
	}
}

// pupils is a file of n pupils, each with their own UPN.
func pupils(n int) string {
	var b strings.Builder
	b.WriteString("UPN,Surname,Forename\n")
	for i := range n {
		fmt.Fprintf(&b, "A%d,Smith,Ann\n", i)
	}
	return b.String()
}

func TestDecodeReadsAsManyRowsAsASchoolHas(t *testing.T) {
	rows := decodeClean(t, pupils(MaxRows)+",,\n\n") // blank rows count for nothing
	if len(rows) != MaxRows || rows[MaxRows-1].Line != MaxRows+1 {
		t.Fatalf("%d rows, the last on line %d", len(rows), rows[len(rows)-1].Line)
	}
}

func TestLooksLikeXML(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"<?xml version=\"1.0\"?><CTfile/>", true},
		{"\xEF\xBB\xBF<CTfile>", true},
		{"\xEF\xBB\xBF \r\n\t<CTfile>", true},
		{"UPN,Surname,Forename\n", false},
		{"\xEF\xBB\xBFUPN,<b>\n", false},
		{"", false},
		{"\xEF\xBB\xBF  ", false},
		{"\"<UPN>\",Surname", false},
	} {
		if got := LooksLikeXML([]byte(tc.in)); got != tc.want {
			t.Errorf("LooksLikeXML(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestHashIsTheFilesSHA256InHex(t *testing.T) {
	for in, want := range map[string]string{
		"":    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	} {
		if got := Hash([]byte(in)); got != want {
			t.Errorf("Hash(%q) = %s, want %s", in, got, want)
		}
	}
}

// withoutUPN leaves out the UPN the errors carry, for tables that name lines and fields.
func withoutUPN(errs []RowError) []RowError {
	out := make([]RowError, len(errs))
	for i, e := range errs {
		e.UPN = ""
		out[i] = e
	}
	return out
}

// A row's errors carry its UPN when it could be read, so that the import leaves that pupil as
// they are: never updated, and never leaving because the file "left them out".
func TestDecodeNamesTheUPNOfARowThatFailed(t *testing.T) {
	_, errs, err := Decode([]byte("UPN,Surname,Forename,DOB\nA1,Smith,Ann,31/02/2015\n,Jones,Bo,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 2 || errs[0].UPN != "A1" || errs[1].UPN != "" {
		t.Errorf("%+v", errs)
	}
}
