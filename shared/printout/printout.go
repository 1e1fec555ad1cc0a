// Package printout draws a pupil's chronology as a PDF to print or send (rule D10): every entry
// in date order, then each concern with every version, its case work and its files, and the
// contact log; the school and the pupil, "Confidential" and the page's number on every page,
// and when and by whom it was produced. Times are the school's (Europe/London). The core
// fonts of PDF write Windows-1252, so a character outside it prints as "?".
package printout

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
)

// MaxBytes is the largest PDF a response carries: API Gateway and Lambda answer with at most
// 6 MB, and a binary body is sent base64, four bytes for every three.
const MaxBytes = 6*1024*1024/4*3 - 64*1024

// ErrTooLarge is a PDF over MaxBytes: more than a response carries.
var ErrTooLarge = errors.New("the chronology's PDF is larger than a response carries")

// Options change how the PDF is written; the zero value is what is served.
type Options struct {
	// Uncompressed writes the pages' text as it is, so that a test can read it.
	Uncompressed bool
}

// FileName is the name the PDF is saved under: the pupil's name is left out, since a file's
// name shows in lists and mail.
func FileName(r exports.Record) string {
	return "chronology-" + r.At.In(safeguarding.London).Format("2006-01-02") + ".pdf"
}

// Chronology draws the record as a PDF.
func Chronology(r exports.Record, o Options) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(!o.Uncompressed)
	pdf.SetTitle("Chronology of "+r.Pupil.Name, true)
	pdf.SetAuthor(r.By, true)
	pdf.SetCreator("Keepsafe", true)
	pdf.SetCreationDate(r.At)
	pdf.SetModificationDate(r.At)
	pdf.AliasNbPages("{nb}")
	pdf.SetMargins(15, 22, 15)
	pdf.SetAutoPageBreak(true, 20)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	d := drawer{pdf: pdf, tr: tr}
	produced := "Produced by " + r.By + " on " + when(r.At)
	pdf.SetHeaderFunc(func() {
		pdf.SetY(8)
		pdf.SetFont("Helvetica", "B", 9)
		pdf.SetTextColor(0, 0, 0)
		pdf.CellFormat(120, 5, tr(r.School.Name+" - "+r.Pupil.Name), "", 0, "L", false, 0, "")
		pdf.SetTextColor(180, 0, 0)
		pdf.CellFormat(0, 5, "CONFIDENTIAL", "", 1, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.Line(15, 14, 195, 14)
		pdf.SetY(22)
	})
	pdf.SetFooterFunc(func() {
		pdf.SetY(-15)
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(130, 5, tr("Confidential. "+produced+"."), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 5, fmt.Sprintf("Page %d of {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()

	pdf.SetFont("Helvetica", "B", 16)
	d.para(8, "Chronology of "+r.Pupil.Name)
	pdf.SetFont("Helvetica", "", 10)
	d.para(5, r.School.Name)
	if r.Pupil.YearGroup != "" || r.Pupil.ClassName != "" {
		d.para(5, strings.TrimSpace(r.Pupil.YearGroup+" "+r.Pupil.ClassName))
	}
	d.para(5, produced+".")
	d.para(5, "Times are UK time.")
	pdf.Ln(3)

	d.heading("Every entry, oldest first")
	if len(r.Entries) == 0 {
		d.para(5, "Nothing has been recorded.")
	}
	for _, e := range r.Entries {
		title := exports.EntryWords(e.Type)
		if e.Reference != "" {
			title += " " + e.Reference
		}
		if e.Category != "" {
			title += " - " + exports.CategoryWords(e.Category)
		}
		if e.HighPriority {
			title += " - high priority"
		}
		pdf.SetFont("Helvetica", "B", 10)
		d.para(5, when(e.At)+"   "+title)
		pdf.SetFont("Helvetica", "", 10)
		if e.AuthorName != "" {
			d.para(5, "By "+e.AuthorName)
		}
		if e.Summary != "" {
			d.para(5, e.Summary)
		}
		pdf.Ln(2)
	}

	if len(r.Concerns) > 0 {
		pdf.AddPage()
		d.heading("Each concern with its versions and case work")
	}
	for _, c := range r.Concerns {
		con := c.Concern
		pdf.SetFont("Helvetica", "B", 11)
		title := "Concern " + con.Reference() + " - " + exports.CategoryWords(con.Category())
		if con.HighPriority() {
			title += " - high priority"
		}
		d.para(6, title)
		pdf.SetFont("Helvetica", "", 10)
		d.para(5, "Recorded "+when(con.RecordedAt())+" by "+con.AuthorName()+"; seen "+when(con.ObservedAt())+".")
		if con.Late() {
			d.para(5, fmt.Sprintf("Recorded %d minutes after the usual time.", con.MinutesLate()))
		}
		var pupils []string
		for _, m := range c.Pupils {
			pupils = append(pupils, m.Name+" ("+exports.RoleWords(m.Role)+")")
		}
		d.para(5, "Pupils: "+strings.Join(pupils, ", ")+".")
		if con.AboutStaff() {
			d.para(5, "About a member of staff.")
		}
		d.para(5, "Case: "+string(con.Status())+".")
		for _, v := range c.Revisions {
			pdf.SetFont("Helvetica", "B", 10)
			label := fmt.Sprintf("Version %d, %s by %s", v.Number, when(v.At), r.Name(v.By))
			if v.Number == 1 {
				label = fmt.Sprintf("Version 1 (as first recorded), %s by %s", when(v.At), r.Name(v.By))
			}
			d.para(5, label)
			pdf.SetFont("Helvetica", "", 10)
			if v.Reason != "" {
				d.para(5, "Reason for the correction: "+v.Reason)
			}
			d.para(5, "Category: "+exports.CategoryWords(v.Category)+". Seen "+when(v.ObservedAt)+".")
			d.para(5, "What happened: "+v.Details)
			if v.PupilWords != "" {
				d.para(5, "The pupil's words: "+v.PupilWords)
			}
			if len(v.PeopleInvolved) > 0 {
				d.para(5, "People involved: "+strings.Join(v.PeopleInvolved, ", "))
			}
		}
		for _, a := range c.Actions {
			pdf.SetFont("Helvetica", "B", 10)
			title := exports.ActionWords(a.Type())
			if a.ReferralTo() != "" {
				title += " to " + exports.ReferralWords(a.ReferralTo())
			}
			d.para(5, "Action: "+title+", added "+when(a.CreatedAt())+" by "+r.Name(a.CreatedBy()))
			pdf.SetFont("Helvetica", "", 10)
			d.para(5, "For "+r.Name(a.Assignee())+", due "+when(a.DueAt())+"; "+string(a.Status())+".")
			if a.Notes() != "" {
				d.para(5, "Notes: "+a.Notes())
			}
			for _, ev := range a.History() {
				if ev.Note != "" {
					d.para(5, when(ev.At)+", "+r.Name(ev.By)+": "+ev.Note)
				}
			}
			if a.Outcome() != "" {
				d.para(5, "Outcome: "+a.Outcome())
			}
		}
		for _, ev := range c.Decisions {
			pdf.SetFont("Helvetica", "B", 10)
			d.para(5, "Decision: "+exports.DecisionWords(ev)+", "+when(ev.At)+" by "+r.Name(ev.By))
			pdf.SetFont("Helvetica", "", 10)
			if ev.Reason != "" {
				d.para(5, "Reason: "+ev.Reason)
			}
		}
		for _, f := range c.Files {
			d.para(5, "File: "+f.FileName()+", added "+when(f.At())+" by "+r.Name(f.UploadedBy()))
		}
		pdf.Ln(4)
	}

	if len(r.Contacts) > 0 {
		pdf.AddPage()
		d.heading("Contact with the family")
		for _, e := range r.Contacts {
			pdf.SetFont("Helvetica", "B", 10)
			d.para(5, when(e.At)+"   "+exports.EntryWords(e.Type))
			pdf.SetFont("Helvetica", "", 10)
			if e.AuthorName != "" {
				d.para(5, "By "+e.AuthorName)
			}
			if e.Summary != "" {
				d.para(5, e.Summary)
			}
			pdf.Ln(2)
		}
	}

	pdf.Ln(4)
	pdf.SetFont("Helvetica", "I", 9)
	d.para(5, "End of the chronology. "+produced+".")

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("writing the PDF: %w", err)
	}
	if buf.Len() > MaxBytes {
		return nil, ErrTooLarge
	}
	return buf.Bytes(), nil
}

type drawer struct {
	pdf *fpdf.Fpdf
	tr  func(string) string
}

func (d drawer) para(h float64, s string) {
	d.pdf.MultiCell(0, h, d.tr(s), "", "L", false)
}

func (d drawer) heading(s string) {
	d.pdf.SetFont("Helvetica", "B", 13)
	d.para(8, s)
	d.pdf.SetFont("Helvetica", "", 10)
}

// when is a time as the school reads it.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(safeguarding.London).Format("Mon 2 Jan 2006, 15:04")
}
