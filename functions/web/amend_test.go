package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z-]+)" value="([^"]*)">`)

// amendFormOf opens the correction form of concern as email and returns its fields as the
// browser would send them unchanged: the hidden ones and what is typed in.
func amendFormOf(t *testing.T, h *Handler, concern, email string, at time.Time) url.Values {
	t.Helper()
	page := call(t, h, "GET", concern+"/amend", tokenFor(email), nil, at)
	wantBody(t, "the correction form", page, http.StatusOK, "Correct concern", "Why you are correcting it")
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(page.Body, -1) {
		if m[1] != "csrf" {
			v.Set(m[1], html.UnescapeString(m[2]))
		}
	}
	for _, name := range []string{"details", "pupil-words", "people-involved"} {
		m := regexp.MustCompile(`name="` + name + `"[^>]*>([^<]*)</textarea>`).FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("the correction form has no %s", name)
		}
		v.Set(name, html.UnescapeString(m[1]))
	}
	for _, name := range []string{"observed-day", "observed-month", "observed-year", "observed-time"} {
		m := regexp.MustCompile(`name="` + name + `" type="text"[^>]*value="([^"]*)"`).FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("the correction form has no %s", name)
		}
		v.Set(name, m[1])
	}
	if m := regexp.MustCompile(`name="category" type="radio" value="([^"]+)" checked`).FindStringSubmatch(page.Body); m != nil {
		v.Set("category", m[1])
		for _, s := range regexp.MustCompile(`name="sub-`+m[1]+`" type="checkbox" value="([^"]+)" checked`).FindAllStringSubmatch(page.Body, -1) {
			v.Add("sub-"+m[1], s[1])
		}
	}
	return v
}

// Rule P4: the author corrects the record with a reason; it is a new version, the page shows
// the correction and every version, the earlier one readable as it was, and the pupil's
// chronology shows the correction.
func TestRule_P4_AuthorCorrectsWithAReasonAndEveryVersionStaysReadable(t *testing.T) {
	w := newWorld(t)
	h := w.h
	concern := recorded(t, h)
	at := monday1030.Add(20 * time.Minute)

	page := call(t, h, "GET", concern, tokenFor(teacher), nil, at)
	wantBody(t, "the author's concern page", page, http.StatusOK, "Correct this record", `href="`+concern+`/amend"`)
	if strings.Contains(page.Body, `id="versions"`) {
		t.Error("a record never corrected shows a version history")
	}

	f := amendFormOf(t, h, concern, teacher, at)
	if f.Get("details") != "Chidi Okafor came in without a coat in the rain." || f.Get("observed-time") != "09:40" || f.Get("category") != "wellbeing" {
		t.Fatalf("the correction form is not filled in with the record: %v", f)
	}
	f.Set("details", "Chidi Okafor came in without a coat in the rain at 08:50, soaked through.")
	f.Set("reason", "Added the time he arrived and that he was soaked.")
	done := wantRedirect(t, post(t, h, concern+"/amendments", teacher, f, at.Add(time.Minute)), concern+"?done=amended")
	done, _, _ = strings.Cut(done, "#")
	if n := w.items("revision"); n != 2 {
		t.Errorf("%d revisions stored, want the original and the correction", n)
	}

	page = call(t, h, "GET", done, tokenFor(teacher), nil, at.Add(2*time.Minute))
	wantBody(t, "the corrected concern", page, http.StatusOK, "Correction saved as a new version", "soaked through",
		`id="corrected"`, "Version 2, 1 June 2026 at 10:51", `id="versions"`, `id="version-1"`, `id="version-2"`,
		"Version 2 (shown above)", "Why: Added the time he arrived and that he was soaked.", "Read version 1",
		// The first version, as it was, and when it was seen, untouched (the form sent the time unchanged).
		"Chidi Okafor came in without a coat in the rain.</dd>", "1 June 2026 at 09:40")
	if i, j := strings.Index(page.Body, `id="version-1"`), strings.Index(page.Body, `id="version-2"`); i > j {
		t.Error("the versions are not in order")
	}

	chron := call(t, h, "GET", "/schools/brook-lane/pupils/bl-01/chronology", tokenFor(teacher), nil, at.Add(3*time.Minute))
	wantBody(t, "the chronology", chron, http.StatusOK, "Amendment", "Revision 2: Added the time he arrived")

	// The DSL corrects it too: a third version; the DSL sees all three.
	f = amendFormOf(t, h, concern, dsl, at.Add(4*time.Minute))
	f.Set("pupil-words", "\"Mum said I lost it at the park.\"")
	f.Set("reason", "The pupil told me the rest of the sentence.")
	wantRedirect(t, post(t, h, concern+"/amendments", dsl, f, at.Add(5*time.Minute)), concern+"?done=amended")
	page = call(t, h, "GET", concern, tokenFor(dsl), nil, at.Add(6*time.Minute))
	wantBody(t, "the DSL's view", page, http.StatusOK, `id="version-3"`, "Version 3 (shown above)", "at the park", dsl)
}

// Rule P4 with optimistic locking: two people correct the same version; the second gets a
// 409 page that keeps everything they typed beside the record as it now is, and can send it
// again against the new version.
func TestRule_P4_AStaleCorrectionIs409AndNothingTypedIsLost(t *testing.T) {
	w := newWorld(t)
	h := w.h
	concern := recorded(t, h)
	at := monday1030.Add(20 * time.Minute)
	mine := amendFormOf(t, h, concern, teacher, at)
	theirs := amendFormOf(t, h, concern, dsl, at)

	theirs.Set("details", "Chidi Okafor arrived at 08:50 without a coat; it was raining hard.")
	theirs.Set("reason", "The DSL checked the gate log.")
	wantRedirect(t, post(t, h, concern+"/amendments", dsl, theirs, at.Add(time.Minute)), concern+"?done=amended")

	mine.Set("details", "Chidi Okafor came in without a coat or a jumper.")
	mine.Set("people-involved", "Jane Example\nJohn Example")
	mine.Set("reason", "He had no jumper either.")
	resp := post(t, h, concern+"/amendments", teacher, mine, at.Add(2*time.Minute))
	wantBody(t, "the stale correction", resp, http.StatusConflict, "Someone else changed this record first",
		"Nothing you typed is lost", "without a coat or a jumper", "John Example", "He had no jumper either.",
		"The record as it is now (version 2)", "it was raining hard", `name="version" value="2"`)
	if strings.Contains(resp.Body, `name="key" value="`+mine.Get("key")+`"`) {
		t.Error("the 409 page offers the key of the form that lost")
	}
	if n := w.items("revision"); n != 2 {
		t.Errorf("%d revisions after the stale correction, want 2", n)
	}

	// Sending it again from the 409 page corrects version 2.
	again := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(resp.Body, -1) {
		if m[1] != "csrf" {
			again.Set(m[1], html.UnescapeString(m[2]))
		}
	}
	for _, k := range []string{"category", "sub-wellbeing", "observed-day", "observed-month", "observed-year", "observed-time",
		"details", "pupil-words", "people-involved", "reason"} {
		again[k] = mine[k]
	}
	wantRedirect(t, post(t, h, concern+"/amendments", teacher, again, at.Add(3*time.Minute)), concern+"?done=amended")
	if n := w.items("revision"); n != 3 {
		t.Errorf("%d revisions after sending again, want 3", n)
	}
}

// Rule P4 with P2: only the author or a DSL may correct; anyone else gets "Page not found",
// even a member of staff tagged in the concern who may read it.
func TestRule_P4_OnlyTheAuthorOrADSLCorrects(t *testing.T) {
	w := newWorld(t)
	h := w.h
	f := validForm(h, tokenFor(teacher))
	f.Set("tag-staff", staff)
	loc := wantRedirect(t, post(t, h, "/schools/brook-lane/concerns", teacher, f, monday1030), "/schools/brook-lane/concerns/")
	concern, _, _ := strings.Cut(loc, "?")
	at := monday1030.Add(10 * time.Minute)

	page := call(t, h, "GET", concern, tokenFor(staff), nil, at)
	wantBody(t, "the tagged member of staff's page", page, http.StatusOK, "came in without a coat")
	if strings.Contains(page.Body, "Correct this record") {
		t.Error("a tagged member of staff is offered the correction")
	}
	correction := amendFormOf(t, h, concern, teacher, at)
	correction.Set("details", "Changed by someone who may not.")
	correction.Set("reason", "No reason.")
	for _, who := range []string{staff, outsider} {
		if resp := call(t, h, "GET", concern+"/amend", tokenFor(who), nil, at); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s opening the correction form: %d, want 404", who, resp.StatusCode)
		}
		if resp := post(t, h, concern+"/amendments", who, correction, at); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s sending a correction: %d, want 404", who, resp.StatusCode)
		}
	}
	if resp := call(t, h, "POST", concern+"/amendments", tokenFor(teacher), correction, at, "Sec-Fetch-Site", "same-origin"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a correction without the form token: %d, want 403", resp.StatusCode)
	}
	if n := w.items("revision"); n != 1 {
		t.Errorf("%d revisions after refused corrections, want 1", n)
	}
}

// A correction with problems comes back with each named, what was typed kept, and nothing
// written; one that changes nothing says so.
func TestRule_P4_CorrectionProblemsAreNamedAndNothingIsWritten(t *testing.T) {
	w := newWorld(t)
	h := w.h
	concern := recorded(t, h)
	at := monday1030.Add(20 * time.Minute)
	f := amendFormOf(t, h, concern, teacher, at)
	f.Set("details", "  ")
	f.Set("observed-day", "31")
	f.Set("observed-month", "2")
	f.Set("pupil-words", "He said: \"It's gone\"")
	resp := post(t, h, concern+"/amendments", teacher, f, at)
	wantBody(t, "the correction with problems", resp, http.StatusBadRequest, "There is a problem",
		`href="#observed-day"`, "The date must be a real date", `href="#details"`, "Write what happened",
		`href="#reason"`, "Say why the record is corrected", "He said: &#34;It&#39;s gone&#34;", "<title>Error: Correct concern")
	if i, j := strings.Index(resp.Body, "The date must be"), strings.Index(resp.Body, "Say why"); i > j {
		t.Error("the error summary is not in the order of the form")
	}

	same := amendFormOf(t, h, concern, teacher, at)
	same.Set("reason", "Nothing really.")
	resp = post(t, h, concern+"/amendments", teacher, same, at)
	wantBody(t, "a correction that changes nothing", resp, http.StatusBadRequest, "The amendment changes nothing")
	if n := w.items("revision"); n != 1 {
		t.Errorf("%d revisions after refused corrections, want 1", n)
	}
}
