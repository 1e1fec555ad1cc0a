package staff

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

var staffFiles = map[string]string{
	"sims": "\xEF\xBB\xBFLegal Forename,Legal Surname,Work E-mail,Mobile Phone,Job Title\r\n" +
		"Nia,Jones,Nia.Jones@brook-lane.example,07700 900123,Class Teacher\r\n" +
		"Ola,Ade,ola.ade@brook-lane.example,,Teaching Assistant\r\n",
	"arbor": `"Email","First Name","Last Name","Role"
"pat@brook-lane.example","Pat","Lee","Designated Safeguarding Lead"
`,
	"full name": "Name,Email,Role\nKim Park,kim@brook-lane.example,teacher\n",
}

// Rule P1: the MIS's staff export in any column order and spelling; a role naming a teacher is
// a teacher, any other (a DSL's title included) staff: a file never makes a DSL.
func TestRule_P1_TheStaffExportGivesTeacherOrStaffOnly(t *testing.T) {
	rows, errs, err := DecodeImport([]byte(staffFiles["sims"]))
	if err != nil || len(errs) != 0 || len(rows) != 2 {
		t.Fatalf("sims: %v rows, %v errors, %v", rows, errs, err)
	}
	if r := rows[0]; r.Name != "Nia Jones" || r.Email != "nia.jones@brook-lane.example" || r.Mobile != "+447700900123" || r.Roles[0] != safeguarding.RoleTeacher || r.Line != 2 {
		t.Errorf("first row %+v", r)
	}
	if r := rows[1]; r.Roles[0] != safeguarding.RoleStaff || r.Mobile != "" {
		t.Errorf("second row %+v", r)
	}
	rows, _, err = DecodeImport([]byte(staffFiles["arbor"]))
	if err != nil || len(rows) != 1 || rows[0].Roles[0] != safeguarding.RoleStaff || rows[0].Name != "Pat Lee" {
		t.Errorf("arbor: %+v %v; a DSL's title is staff by import", rows, err)
	}
	rows, _, err = DecodeImport([]byte(staffFiles["full name"]))
	if err != nil || len(rows) != 1 || rows[0].Name != "Kim Park" || rows[0].Roles[0] != safeguarding.RoleTeacher {
		t.Errorf("full name: %+v %v", rows, err)
	}
}

// Row errors name the line and the column in plain words, never the value; a repeated email
// is an error on its later row.
func TestRule_P1_StaffRowErrorsNameLineAndColumn(t *testing.T) {
	file := "Forename,Surname,Email,Mobile,Role\n" +
		"Nia,Jones,not-an-email,07700 900123,Teacher\n" +
		",,kim@brook-lane.example,020 7946 0000,Teacher\n" +
		"Ola,Ade,ola@brook-lane.example,,TA\n" +
		"Ola,Ade,OLA@brook-lane.example,,TA\n"
	rows, errs, err := DecodeImport([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Email != "ola@brook-lane.example" {
		t.Errorf("rows %+v, want Ola's first row only", rows)
	}
	want := map[string]bool{"2 email": true, "3 forename": true, "3 mobile": true, "5 email": true}
	for _, e := range errs {
		k := strconv.Itoa(e.Line) + " " + e.Field
		if !want[k] {
			t.Errorf("unexpected row error %+v", e)
		}
		delete(want, k)
		if strings.Contains(e.Message, "not-an-email") || strings.Contains(e.Message, "7946") {
			t.Errorf("row error %+v repeats a value", e)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing row errors %v", want)
	}
}

func TestRule_P1_AFileThatIsNotTheStaffExportIsRefusedWhole(t *testing.T) {
	for name, file := range map[string]string{
		"empty":        "",
		"no email":     "Forename,Surname\nNia,Jones\n",
		"no names":     "Email,Role\nnia@brook-lane.example,Teacher\n",
		"not UTF-8":    "Name,Email\n\xff\xfe,x@y.example\n",
		"pupil export": "UPN,Legal Surname,Legal Forename\nA123,Jones,Nia\n",
	} {
		_, _, err := DecodeImport([]byte(file))
		var ve *safeguarding.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != "file" {
			t.Errorf("%s: %v, want the file refused", name, err)
		}
	}
}

// FuzzDecodeImport: whatever file arrives, DecodeImport never panics; it refuses the whole
// file naming "file", or every row has a line after the header, a name, a valid email (once),
// a mobile in E.164 or none, and the role teacher or staff.
func FuzzDecodeImport(f *testing.F) {
	for _, file := range staffFiles {
		f.Add([]byte(file))
	}
	f.Add([]byte("Forename,Surname,Email\n\"a,b\",c,d@e.example\n\"unclosed,x,y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, errs, err := DecodeImport(data)
		if err != nil {
			var ve *safeguarding.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Field != "file" || rows != nil || errs != nil {
				t.Fatalf("err %v with rows and errors; want the file refused alone", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if r.Line < 2 || r.Name == "" || seen[r.Email] || len(r.Roles) != 1 ||
				(r.Roles[0] != safeguarding.RoleTeacher && r.Roles[0] != safeguarding.RoleStaff) ||
				(r.Mobile != "" && !strings.HasPrefix(r.Mobile, "+44")) {
				t.Fatalf("row %+v", r)
			}
			if e, ok := safeguarding.NormaliseEmail(r.Email); !ok || e != r.Email {
				t.Fatalf("row %+v: its email is not one", r)
			}
			seen[r.Email] = true
		}
		for _, e := range errs {
			if e.Line < 2 || e.Field == "" || e.Message == "" {
				t.Fatalf("row error %+v", e)
			}
		}
	})
}
