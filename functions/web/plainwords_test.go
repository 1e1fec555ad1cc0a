package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Pages speak plain words: rule ids belong in code and tests, never on a page. call checks
// every HTML page a handler test renders with noRuleIDs, so an id put back on any page fails
// the test that renders it.

var (
	// unseen is what a page holds that nobody reads: scripts, styles and comments.
	unseen = regexp.MustCompile(`(?is)<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->`)
	// tags are the markup, attributes and all (html/template escapes '>' inside attributes).
	tags = regexp.MustCompile(`(?s)<[^>]*>`)
	// ruleIDs are ids of the rule book as a page would show them: "rule D8", "Rules E2-E5",
	// "(V1)", "(V4, V6)", "(D1-D5)".
	ruleIDs = regexp.MustCompile(`(?i:\brules?\s+)[PCDHVES]\d{1,2}\b|\([PCDHVES]\d{1,2}(?:\s*[-,–]\s*[PCDHVES]?\d{1,2})*\)`)
	// internalIDs are the product's own ids as a page might leak them: a ULID (an action's
	// "01M8YH...-A1", a record's key) or a family's key inside its reference ("FAM-FAM-05").
	internalIDs = regexp.MustCompile(`\b[0-9A-HJKMNP-TV-Z]{26}\b|\bFAM-FAM-|\bfam-\d+\b`)
)

// visibleText is the text of an HTML page as people read it.
func visibleText(body string) string {
	s := unseen.ReplaceAllString(body, " ")
	s = tags.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}

// noRuleIDs fails the test when the visible text of the HTML page body shows a rule id or an
// internal id.
func noRuleIDs(t *testing.T, what, body string) {
	t.Helper()
	text := visibleText(body)
	for _, loc := range internalIDs.FindAllStringIndex(text, -1) {
		from, to := max(0, loc[0]-60), min(len(text), loc[1]+20)
		t.Errorf("%s shows the internal id %q: people read names and references, never the product's keys\n…%s…",
			what, text[loc[0]:loc[1]], strings.Join(strings.Fields(text[from:to]), " "))
	}
	for _, loc := range ruleIDs.FindAllStringIndex(text, -1) {
		from, to := max(0, loc[0]-60), min(len(text), loc[1]+20)
		t.Errorf("%s shows the rule id %q: pages speak plain words, rule ids belong in code and tests\n…%s…",
			what, text[loc[0]:loc[1]], strings.Join(strings.Fields(text[from:to]), " "))
	}
}

func TestPagesSpeakPlainWords_NoRuleIDs(t *testing.T) {
	t.Run("the check", func(t *testing.T) {
		shown := []string{
			`<p>Due by 17:00 (rule D8).</p>`,
			`<p>Silent school days (rules E2-E5) are counted</p>`,
			`<p>Rules V4, V6: facts only.</p>`,
			`<dd>Not yet (V3)</dd>`,
			`<p>The rules' due times (D1-D5)</p>`,
			`<p>appearance (V4, V6)</p>`,
			`<span class="govuk-details__summary-text">Record an answered phone call (rule H3)</span>`,
			`<p>A family counts once (rule
			E1).</p>`,
		}
		for _, page := range shown {
			if !ruleIDs.MatchString(visibleText(page)) {
				t.Errorf("no rule id found in %q", page)
			}
		}
		plain := []string{
			`<p>42 Example Road, Testville ZZ1 1AA</p>`,
			`<p>Family FAM-05, A12 B3</p>`,
			`<p class="govuk-!-margin-bottom-1 app-D8" id="rule-V1" data-rule="E3">Plain words (Year 2).</p>`,
			`<a href="/x?rule=D8" aria-describedby="V1">Open</a>`,
			`<script>// rule S3 (P3)
			var x = "(V1)";</script><style>/* rule C1 */ .a{}</style><!-- rule D8 (E4) -->`,
			`<input value="(V3)" name="rule D8"><p>Page 2 of 5 (P3 shown as words), Room D12B, ruler V1x</p>`,
			`<p>rules apply to 2 pupils; grade (C) and (10)</p>`,
		}
		for _, page := range plain {
			if m := ruleIDs.FindString(visibleText(page)); m != "" {
				t.Errorf("found the rule id %q in %q, which shows none", m, page)
			}
		}
	})

	// Every handler test's page goes through call, which checks it; these are the pages of each
	// part of the product, as the people who use them see them, with a form's problems too.
	w := visitWorld(t)
	w.h.Engagement = engagement.Engagement{Store: w.st, BankHolidays: w.h.Calendar, NewID: store.NewID}
	w.h.Classes = engagement.ClassLists{Store: w.st}
	w.h.Contacts = contact.Contacts{Store: w.st, NewID: store.NewID}
	h := w.h
	at := visitAt("2027-02-26 15:00")
	concern := recorded(t, h)
	visit := plannedVisit(t, h)
	pages := []struct{ who, path string }{
		{teacher, "/"},
		{teacher, "/schools/brook-lane/concerns/new"},
		{teacher, "/schools/brook-lane/calls"},
		{teacher, "/schools/brook-lane/families/fam-02/call"},
		{teacher, visit},
		{teacher, concern + "/amend"},
		{office, "/schools/brook-lane/families/fam-02/contact-details/edit"},
		{dsl, "/schools/brook-lane/families/fam-02/contact-details/versions"},
		{dsl, concern},
		{dsl, "/schools/brook-lane/pupils/bl-01/chronology"},
		{dsl, "/schools/brook-lane/work"},
		{dsl, "/schools/brook-lane/review"},
		{dsl, "/schools/brook-lane/concerns"},
		{dsl, "/schools/brook-lane/categories"},
		{dsl, "/schools/brook-lane/acknowledgements"},
		{dsl, "/schools/brook-lane/families"},
		{dsl, "/schools/brook-lane/families/fam-02"},
		{dsl, "/schools/brook-lane/calendar"},
		{dsl, "/schools/brook-lane/contact-details/report"},
		{dsl, "/schools/brook-lane/closure-contacts"},
		{dsl, "/schools/brook-lane/visits"},
		{dsl, "/schools/brook-lane/visits/new?family=fam-02"},
		{dsl, visit},
		{dsl, "/schools/brook-lane/import-history"},
		{office, "/schools/brook-lane/imports"},
	}
	for _, p := range pages {
		if resp := call(t, h, "GET", p.path, tokenFor(p.who), nil, at); resp.StatusCode != http.StatusOK {
			t.Errorf("%s for %s: %d", p.path, p.who, resp.StatusCode)
		}
	}
	// The domain's problems come back on the page in plain words too.
	alone := post(t, h, "/schools/brook-lane/visits", dsl, url.Values{"key": {"plan-0"}, "family": {"fam-02"}, "staff": {teacher},
		"line-manager": {sam}, "day": {"1"}, "month": {"3"}, "year": {"2027"}, "start": {"10:00"}, "end": {"11:00"}, "reason": {"No answer to three calls this week."}}, at)
	wantBody(t, "a plan with one member of staff", alone, http.StatusBadRequest, "never alone")
}
