package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Nothing typed is left in the browser once it is sent (rules P3, P4): on a shared phone or
// laptop, Back after sending must not show the form again with the text in it. Chromium keeps
// even no-store pages in its back-forward cache, as they were left, and refills a form's fields
// when a page is loaded again from the history. So each test runs in a chromium with its
// back-forward cache, in one without it (where Back fetches the page again), and in one
// without it and without JavaScript, where autocomplete="off" alone keeps the fields empty.
// (With the cache and without JavaScript, Chromium shows the page as it was left: the README
// says so.)
var backBrowsers = []struct {
	name string
	js   bool
	opts []chromedp.ExecAllocatorOption
}{
	{"WithTheBackForwardCache", true, nil},
	{"WithoutTheBackForwardCache", true, []chromedp.ExecAllocatorOption{chromedp.Flag("disable-back-forward-cache", true)}},
	{"WithoutJavaScriptOrTheBackForwardCache", false, []chromedp.ExecAllocatorOption{chromedp.Flag("disable-back-forward-cache", true)}},
}

// scripts switches the pages' JavaScript on or off in the browser's tab (the test's own
// scripts run either way).
func scripts(t *testing.T, b *browser, on bool) {
	t.Helper()
	b.do(t, "switching JavaScript", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	}))
}

// startBackBrowser starts the browser of a variant, with the pages' JavaScript off if it has none.
func startBackBrowser(t *testing.T, js bool, opts []chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	b := newBrowser(t, opts...)
	if !js {
		scripts(t, b, false)
	}
	return b
}

// checkScripts fails when the page's own scripts ran and should not have, or did not and should.
func checkScripts(t *testing.T, b *browser, js bool) {
	t.Helper()
	if ran := b.eval(t, `document.body.classList.contains("govuk-frontend-supported") ? "ran" : "did not run"`); (ran == "ran") != js {
		t.Fatalf("the page's scripts %s", ran)
	}
}

// checkAxeAfterBack runs axe on the page; without JavaScript it is switched on for axe (a
// script too) once the page is shown, which runs none of the page's own.
func checkAxeAfterBack(t *testing.T, b *browser, js bool, page string) {
	t.Helper()
	if !js {
		scripts(t, b, true)
	}
	b.checkAxe(t, page)
}

// fieldsJS lists the fields of the page's main part as they stand: a text's value, a box's or
// radio's ticked state, a list's choice; hidden fields are left out.
const fieldsJS = `JSON.stringify([...document.querySelectorAll("main input, main textarea, main select")]
	.filter(e => e.type !== "hidden")
	.map(e => [e.id || e.name, e.type === "checkbox" || e.type === "radio" ? String(e.checked) : e.value]))`

// keysJS lists the idempotency keys of the page's forms.
const keysJS = `JSON.stringify([...document.querySelectorAll("input[name=key]")].map(e => e.value))`

func fields(t *testing.T, b *browser) [][2]string {
	t.Helper()
	var out [][2]string
	if err := json.Unmarshal([]byte(b.eval(t, fieldsJS)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(t *testing.T, b *browser) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(b.eval(t, keysJS)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// typeInto empties a field and types text into it, key by key.
func typeInto(id, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Evaluate[chromedp.Void](`document.getElementById(`+jsString(id)+`).value = ""`),
		chromedp.SendKeys(chromedp.ID(id), text))
}

// watchRestore makes the form's page note, if the browser shows it again from its
// back-forward cache, which of its fields hold any of typed at that moment: after the site's
// own script has handled the page coming back, before anything reloads it. The note is read
// after Back with restoreNote.
func watchRestore(t *testing.T, b *browser, typed map[string]string) {
	t.Helper()
	var texts []string
	for _, v := range typed {
		if len(v) >= 8 {
			texts = append(texts, v)
		}
	}
	raw, _ := json.Marshal(texts)
	b.eval(t, `(() => {
		const typed = `+string(raw)+`;
		sessionStorage.removeItem("restored");
		addEventListener("pageshow", (event) => {
			if (!event.persisted) return;
			const kept = [...document.querySelectorAll("input, textarea")].filter(f => typed.some(s => f.value.includes(s)));
			sessionStorage.setItem("restored", kept.length ? "typed text in " + kept.map(f => f.id || f.name).join(", ") : "clean");
		});
		return "watching";
	})()`)
}

// restoreNote is watchRestore's note: empty when the page did not come back from the cache.
func restoreNote(t *testing.T, b *browser) string {
	return b.eval(t, `sessionStorage.getItem("restored") || ""`)
}

// pressBackAfterSending presses Back on the page the send led to and checks the form it comes
// back to: no field holds anything typed; every field, box, radio and list is as it was on the
// form freshly opened (fresh), except the date and time fields named in now, which are
// prefilled with the time and only checked not to hold what was typed; nothing typed is in the
// page's text; and its idempotency keys are new ones, not those sent (sent): the form was
// fetched again.
func pressBackAfterSending(t *testing.T, b *browser, form string, typed map[string]string, fresh [][2]string, now []string, sent []string) {
	t.Helper()
	// A page shown again from the back-forward cache is not loaded, so NavigateBack, which
	// waits for a load, would wait for ever, and so would chromedp's queries: Back has a few
	// seconds, then the page is read with scripts only. The site's script reloads a page the
	// browser kept, so the form is awaited with new keys, and checked as it stands if none come.
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	err := chromedp.Do(ctx, chromedp.NavigateBack())
	cancel()
	if err != nil && b.ctx.Err() == nil {
		t.Logf("Back loaded no page within 10 seconds (%v): the browser showed the page it kept", err)
	}
	ready := `(() => document.readyState === "complete" && document.querySelector(` + jsString(form) + `) ? ` + keysJS + ` : "")()`
	var found bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](ready))
		cancel()
		if err == nil && got != "" {
			found = true
			if !strings.Contains(got, `"`+sent[0]+`"`) {
				break
			}
		}
	}
	if !found {
		t.Fatalf("after Back there is no %s%s", form, b.where())
	}

	switch note := restoreNote(t, b); {
	case note == "":
		t.Log("Back fetched the form again")
	case note == "clean":
		t.Log("Back showed the form from the back-forward cache with its fields emptied, and it was reloaded")
	default:
		t.Errorf("Back showed the form from the back-forward cache with %s", note)
	}

	isNow := map[string]bool{}
	for _, id := range now {
		isNow[id] = true
	}
	want := map[string]string{}
	for _, f := range fresh {
		want[f[0]] = f[1]
	}
	got := fields(t, b)
	if len(got) != len(fresh) {
		t.Errorf("after Back the form has %d fields, a fresh one %d", len(got), len(fresh))
	}
	for _, f := range got {
		id, v := f[0], f[1]
		for field, text := range typed {
			if isNow[id] && id == field && text != want[id] && v == text {
				t.Errorf("after Back %s holds %q, as typed", id, v)
			}
			if len(text) >= 8 && strings.Contains(v, text) {
				t.Errorf("after Back %s holds what was typed in %s: %q", id, field, v)
			}
		}
		if w, ok := want[id]; ok && !isNow[id] && v != w {
			t.Errorf("after Back %s is %q, on a fresh form %q", id, v, w)
		}
	}
	page := b.eval(t, `document.body.innerText`)
	for field, text := range typed {
		if len(text) >= 8 && strings.Contains(page, text) {
			t.Errorf("after Back the page shows what was typed in %s: %q", field, text)
		}
	}
	after := keys(t, b)
	if len(after) != len(sent) {
		t.Errorf("after Back the page has keys %v, before %v", after, sent)
	}
	for _, k := range after {
		if k == "" || strings.Contains(strings.Join(sent, " "), k) {
			t.Errorf("after Back a form has the key %q, one of those sent %v: the page was not fetched again", k, sent)
		}
	}
}

// yesterday is the day before today, in school time, as the date fields take it.
func yesterday() (day, month, year string) {
	y := time.Now().In(safeguarding.London).AddDate(0, 0, -1)
	return strconv.Itoa(y.Day()), strconv.Itoa(int(y.Month())), strconv.Itoa(y.Year())
}

// Rule P4 (and S3's shared screen): Tom Hughes records a concern on a phone with something
// typed in every field, a body map mark among them, and sees it recorded; Back brings the form
// back empty, with a new idempotency key, whether the browser kept the page or fetches it again.
func TestRule_P4_BrowserLocalStack_BackAfterSendingAConcernShowsNoTypedText(t *testing.T) {
	for _, c := range backBrowsers {
		t.Run(c.name, func(t *testing.T) {
			s := startLocalStack(t)
			b := startBackBrowser(t, c.js, c.opts)
			school := "/schools/" + string(seed.BrookLane)
			signInAs(t, b, s.URL, seed.Email("Tom", "Hughes"), "/")
			b.do(t, "opening the form", chromedp.Navigate(s.URL+school+"/concerns/new?pupil=bl-03"),
				chromedp.WaitVisible(chromedp.ID("details")))
			checkScripts(t, b, c.js)
			fresh := fields(t, b)

			day, month, year := yesterday()
			typed := map[string]string{
				"q":               "Quillfeather",
				"observed-day":    day,
				"observed-month":  month,
				"observed-year":   year,
				"observed-time":   "06:07",
				"details":         "Zanzibar lantern: came in with a torn sleeve and said nothing all morning.",
				"pupil-words":     "Marmalade kite, I fell off the wall.",
				"mark-note-0":     "Periwinkle bruise on the left forearm",
				"people-involved": "Ophelia Quarrington",
			}
			b.do(t, "filling in the form",
				chromedp.Click(chromedp.ID("category-wellbeing")),
				chromedp.WaitVisible(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
				chromedp.Click(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
				chromedp.Click(chromedp.ID("high-priority")),
				typeInto("q", typed["q"]),
				chromedp.Click(chromedp.ID("observed-when-another-day")),
				chromedp.WaitVisible(chromedp.ID("observed-day")),
				typeInto("observed-day", day), typeInto("observed-month", month), typeInto("observed-year", year),
				typeInto("observed-time", typed["observed-time"]),
				typeInto("details", typed["details"]),
				typeInto("pupil-words", typed["pupil-words"]),
				typeInto("people-involved", typed["people-involved"]),
				chromedp.Click(chromedp.CSS(`input[name="tag-staff"][value="`+seed.Email("Priya", "Shah")+`"]`)),
				chromedp.Click(chromedp.ID("about-staff")),
				chromedp.WaitVisible(chromedp.ID("subject-staff-email")),
				chromedp.SetValue(chromedp.ID("subject-staff-email"), seed.Email("Sam", "Ellis")))
			if c.js { // the body map needs JavaScript
				tapOn(t, b, "body-map-front", 0.3, 0.4)
				b.do(t, "noting the mark", chromedp.WaitVisible(chromedp.ID("mark-note-0")), typeInto("mark-note-0", typed["mark-note-0"]))
			} else {
				delete(typed, "mark-note-0")
			}
			sent := keys(t, b)
			watchRestore(t, b, typed)

			b.do(t, "sending the concern", chromedp.Click(chromedp.ID("record-concern")), chromedp.WaitVisible(chromedp.ID("reference")))
			if page := b.eval(t, `document.querySelector("main").innerText`); !strings.Contains(page, "Zanzibar lantern") {
				t.Fatalf("the concern page does not show what was sent:\n%s", page)
			}

			pressBackAfterSending(t, b, "#details", typed, fresh,
				[]string{"observed-day", "observed-month", "observed-year", "observed-time"}, sent)
			if n := b.eval(t, `String(document.querySelectorAll("#body-marks li").length)`); n != "0" {
				t.Errorf("after Back the body map has %s marks", n)
			}
			checkScripts(t, b, c.js)
			checkAxeAfterBack(t, b, c.js, "the concern form after Back")
		})
	}
}

// Rule P3: Tom Hughes, designated for closure contact, records an answered call to the Patel
// family on its call screen with something typed in every field of the record, and the screen
// comes back with "Done"; Back brings the screen back with both forms empty and new keys.
func TestRule_P3_BrowserLocalStack_BackAfterSendingACallRecordShowsNoTypedText(t *testing.T) {
	for _, c := range backBrowsers {
		t.Run(c.name, func(t *testing.T) {
			s := startLocalStack(t)
			b := startBackBrowser(t, c.js, c.opts)
			school := "/schools/" + string(seed.BrookLane)
			screen := school + "/families/fam-11/call"
			signInAs(t, b, s.URL, seed.Email("Tom", "Hughes"), school+"/calls")
			b.do(t, "opening the call screen", chromedp.WaitVisible(chromedp.ID("call-families")),
				chromedp.Click(chromedp.CSS(`a[href="`+screen+`"]`)), chromedp.WaitVisible(chromedp.ID("spoken-to")))
			checkScripts(t, b, c.js)
			fresh := fields(t, b)

			day, month, year := yesterday()
			london := time.Now().In(safeguarding.London)
			typed := map[string]string{
				"call-day":             day,
				"call-month":           month,
				"call-year":            year,
				"call-time":            "06:07",
				"spoken-to":            "Rosalind Thistlewood, aunt",
				"identified-by":        "Gave the heron password agreed on the form",
				"worries":              "Worried about the boiler in the flat",
				"background":           "A kettle whistling and a radio",
				"quote-speaker-0":      "Arjun Amberline",
				"quote-words-0":        "I read the giraffe book twice",
				"quote-speaker-1":      "Meera Amberline",
				"quote-words-1":        "We made a cardboard castle",
				"quote-speaker-2":      "Aunt Rosalind",
				"quote-words-2":        "They miss their friends",
				"action-description-0": "Post the spelling pack to the flat",
				"action-due-date-0":    london.AddDate(0, 0, 2).Format(time.DateOnly),
				"action-due-time-0":    "15:00",
				"further-contact":      "Weekly on Tuesdays on the aunt's mobile",
				"next-call-date":       london.AddDate(0, 0, 7).Format(time.DateOnly),
				"next-call-time":       "10:00",
				"call-notes":           "Nectarine fence: asked for the lunch menu",
			}
			steps := []chromedp.Action[chromedp.Void]{
				chromedp.Click(chromedp.ID("agreed-carer")),
				chromedp.Click(chromedp.ID("is-ok")),
				chromedp.Click(chromedp.ID("happy")),
				chromedp.SetValue(chromedp.ID("action-assignee-0"), seed.Email("Priya", "Shah")),
				chromedp.SetValue(chromedp.ID("action-due-date-0"), typed["action-due-date-0"]),
				chromedp.SetValue(chromedp.ID("next-call-date"), typed["next-call-date"]),
			}
			for id, text := range typed {
				if !strings.HasSuffix(id, "-date-0") && id != "next-call-date" {
					steps = append(steps, typeInto(id, text))
				}
			}
			b.do(t, "filling in the call record", steps...)
			sent := keys(t, b)
			watchRestore(t, b, typed)

			b.do(t, "recording the call", chromedp.Click(chromedp.ID("call-record-button")), chromedp.WaitVisible(chromedp.ID("done")))
			if d := b.text(t, "#done"); !strings.Contains(d, "Call recorded") {
				t.Fatalf("after sending the call record the page says %q%s", d, b.where())
			}

			pressBackAfterSending(t, b, "#spoken-to", typed, fresh, []string{"call-day", "call-month", "call-year", "call-time"}, sent)
			checkScripts(t, b, c.js)
			checkAxeAfterBack(t, b, c.js, "the call screen after Back")
		})
	}
}
