package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// figureBox is one body map figure as the browser lays it out: its outline's box, its caption
// and the child's sides written above it, left to right on the screen.
type figureBox struct {
	Left, Top, Width, Height float64
	Caption                  string
	Sides                    []string
	// SidesInOrder is whether the sides' labels stand left to right as listed.
	SidesInOrder bool
}

// figures reads the body map's two figures (front, back) in the page's section sel.
func figures(t *testing.T, b *browser, sel string) map[string]figureBox {
	t.Helper()
	raw := b.eval(t, `(() => {
		const out = {};
		for (const f of document.querySelectorAll(`+jsString(sel+" figure[data-figure]")+`)) {
			const r = f.querySelector("svg").getBoundingClientRect();
			const spans = [...f.querySelectorAll(".app-body-map__sides span")];
			const lefts = spans.map((s) => s.getBoundingClientRect().left);
			out[f.dataset.figure] = {Left: r.left, Top: r.top, Width: r.width, Height: r.height,
				Caption: f.querySelector("figcaption").textContent.trim(),
				Sides: spans.map((s) => s.textContent.trim()),
				SidesInOrder: lefts.length === 2 && lefts[0] < lefts[1]};
		}
		return JSON.stringify(out);
	})()`)
	var out map[string]figureBox
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("the figures of %s: %v (%s)", sel, err, raw)
	}
	return out
}

// checkFigures checks the body map's figures in sel at a screen width: each at least minWidth
// wide, side by side, captioned Front and Back with the child's right and left above each
// (on the front the child's right is on the viewer's left; on the back the other way round).
func checkFigures(t *testing.T, b *browser, what, sel string, minWidth float64) map[string]figureBox {
	t.Helper()
	fs := figures(t, b, sel)
	front, back := fs["front"], fs["back"]
	if front.Caption != "Front" || back.Caption != "Back" {
		t.Errorf("%s: the figures are captioned %q and %q", what, front.Caption, back.Caption)
	}
	if strings.Join(front.Sides, " ") != "Right Left" || !front.SidesInOrder {
		t.Errorf("%s: above the front, left to right: %q (want the child's Right on the viewer's left)", what, front.Sides)
	}
	if strings.Join(back.Sides, " ") != "Left Right" || !back.SidesInOrder {
		t.Errorf("%s: above the back, left to right: %q (want the child's Left on the viewer's left)", what, back.Sides)
	}
	for side, f := range fs {
		if f.Width < minWidth {
			t.Errorf("%s: the %s figure is %.0f px wide, want at least %.0f", what, side, f.Width, minWidth)
		}
	}
	if math.Abs(front.Top-back.Top) > 1 || back.Left <= front.Left {
		t.Errorf("%s: the figures are not side by side: front %+v, back %+v", what, front, back)
	}
	return fs
}

// press presses keys one by one in the focused element.
func press(t *testing.T, b *browser, what string, n int, key string, mods ...chromedp.Modifier) {
	t.Helper()
	var opts []chromedp.KeyOption
	if len(mods) > 0 {
		opts = append(opts, chromedp.KeyModifiers(mods...))
	}
	for range n {
		b.do(t, what, chromedp.KeyEvent(key, opts...))
	}
}

// Rule C1 from a keyboard, on a phone and a laptop: the body map's figures fill the width
// (each at least 140 px on a 360 px phone, larger on a laptop, side by side, nothing to
// scroll sideways), say Front and Back and the child's Right and Left; Tab reaches a figure,
// the arrow keys move its cross, Enter or Space adds a mark there and takes the focus to the
// mark's note, a status line tells a screen reader where the cross is and what was added or
// removed, and a mark is removed with its button. The saved concern shows each mark on the
// same figures at its place, with its side in words; the API holds the places; axe passes.
func TestRule_C1_BrowserLocalStack_BodyMapFromTheKeyboardOnAPhoneAndALaptop(t *testing.T) {
	b := newBrowser(t)
	s := startLocalStack(t)
	teacher := seed.Email("Tom", "Hughes")
	school := "/schools/" + string(seed.BrookLane)
	signInAs(t, b, s.URL, teacher, school+"/concerns/new?pupil=bl-03")
	b.do(t, "opening the form", chromedp.WaitVisible(chromedp.ID("body-map-front")))
	phone := checkFigures(t, b, "the form on a phone", "#body-map", 140)
	b.checkAxe(t, "the form's body map on a phone")

	b.do(t, "filling in the form",
		chromedp.Click(chromedp.ID("category-wellbeing")),
		chromedp.WaitVisible(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.Click(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.Click(chromedp.ID("observed-when")),
		chromedp.SendKeys(chromedp.ID("details"), "Bruising seen on the right arm and a graze on the back of the right leg when changing for PE."))

	// Tab from the field before the body map reaches the front figure, which shows its cross.
	b.do(t, "tabbing to the front", chromedp.Focus(chromedp.ID("pupil-words")), chromedp.KeyEvent(kb.Tab))
	if got := b.eval(t, `document.activeElement.id`); got != "body-map-front" {
		t.Fatalf("Tab after the pupil's words goes to %q, not the front of the body map", got)
	}
	if b.eval(t, `getComputedStyle(document.querySelector("#body-map-front .app-crosshair")).display`) == "none" {
		t.Error("the front's cross does not show while it has the focus")
	}
	if b.eval(t, `getComputedStyle(document.querySelector("#body-map-back .app-crosshair")).display`) != "none" {
		t.Error("the back's cross shows while the front has the focus")
	}
	if got := b.eval(t, `document.getElementById("body-map-front").getAttribute("aria-label")`); !strings.Contains(got, "child's right is on your left") {
		t.Errorf("the front tells a screen reader %q", got)
	}
	// Ten steps left from the middle: the child's right arm, said on the status line.
	press(t, b, "moving the cross left", 10, kb.ArrowLeft)
	b.do(t, "waiting for the status line", chromedp.Poll[chromedp.Void](`document.getElementById("body-map-status").textContent.includes("the child's right arm")`))
	b.do(t, "adding a mark with Enter", chromedp.KeyEvent(kb.Enter))
	if got := b.eval(t, `document.activeElement.id`); got != "mark-note-0" {
		t.Fatalf("after Enter the focus is on %q, not the new mark's note", got)
	}
	b.do(t, "the status line says the mark was added",
		chromedp.Poll[chromedp.Void](`document.getElementById("body-map-status").textContent.startsWith("Mark 1 added: Front, the child's right arm")`))
	b.do(t, "writing the note", chromedp.KeyEvent("Bruise on the right forearm"))
	if got := b.text(t, `label[for="mark-note-0"]`); !strings.Contains(got, "Mark 1 (Front, the child's right arm)") {
		t.Errorf("the first mark's note is labelled %q", got)
	}

	// Shift+Tab from the note goes back to the back figure: down and right to the child's
	// right leg, then Space.
	b.do(t, "back to the back", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if got := b.eval(t, `document.activeElement.id`); got != "body-map-back" {
		t.Fatalf("Shift+Tab from the first note goes to %q, not the back of the body map", got)
	}
	press(t, b, "moving the cross down", 3, kb.ArrowDown, chromedp.ModifierShift)
	press(t, b, "moving the cross right", 5, kb.ArrowRight)
	b.do(t, "adding a mark with Space", chromedp.KeyEvent(" "))
	if got := b.eval(t, `document.activeElement.id`); got != "mark-note-1" {
		t.Fatalf("after Space the focus is on %q, not the second mark's note", got)
	}
	b.do(t, "writing the second note", chromedp.KeyEvent("Graze behind the right knee"))

	// A third mark, taken away again with its button from the keyboard: the focus goes back
	// to its figure and the status line says so.
	b.do(t, "a third mark", chromedp.Focus(chromedp.ID("body-map-back")), chromedp.KeyEvent(kb.Enter))
	if got := b.eval(t, `document.activeElement.id`); got != "mark-note-2" {
		t.Fatalf("the third mark's note is not focused: %q", got)
	}
	b.do(t, "removing it from the keyboard", chromedp.KeyEvent(kb.Tab))
	if got := b.eval(t, `document.activeElement.textContent.trim()`); got != "Remove mark 3" {
		t.Fatalf("Tab from the third note reaches %q", got)
	}
	b.do(t, "pressing the button", chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](`document.getElementById("body-map-status").textContent.startsWith("Mark 3 removed")`))
	if got := b.eval(t, `document.activeElement.id`); got != "body-map-back" {
		t.Errorf("after removing a mark the focus is on %q, not its figure", got)
	}
	if n := b.eval(t, `String(document.querySelectorAll("#body-marks > li").length) + " " + String(document.querySelectorAll("#body-map-outlines circle.app-mark").length)`); n != "2 2" {
		t.Errorf("after removing one, the form has %s notes and marks drawn, want 2 2", n)
	}
	marks := b.eval(t, `JSON.stringify([...document.querySelectorAll("#body-marks > li")].map((li) => [
		li.querySelector('[name="mark-side"]').value, Number(li.querySelector('[name="mark-x"]').value), Number(li.querySelector('[name="mark-y"]').value)]))`)
	var placed [][3]any
	if err := json.Unmarshal([]byte(marks), &placed); err != nil || len(placed) != 2 {
		t.Fatalf("the marks' fields: %s", marks)
	}
	near := func(v any, want float64) bool { f, _ := v.(float64); return math.Abs(f-want) < 0.005 }
	// Front: 10 steps of 2% left of the middle, 40% down; back: three steps of Shift down from
	// there (each a tenth of the width, the same distance on the screen), 5 steps right.
	if placed[0][0] != "front" || !near(placed[0][1], 0.3) || !near(placed[0][2], 0.4) {
		t.Errorf("the first mark is at %v, want front 0.3, 0.4", placed[0])
	}
	if placed[1][0] != "back" || !near(placed[1][1], 0.6) || !near(placed[1][2], 0.4+0.3*100/220) {
		t.Errorf("the second mark is at %v, want back 0.6, 0.54", placed[1])
	}
	b.checkAxe(t, "the form with marks added from the keyboard")
	b.do(t, "the body map in sight", chromedp.Evaluate[chromedp.Void](`document.getElementById("body-map").scrollIntoView()`))
	b.screenshot(t, "body-map-360")

	// A laptop: the figures are larger, still side by side, and the page fits.
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900))
	laptop := checkFigures(t, b, "the form on a laptop", "#body-map", 200)
	if laptop["front"].Width <= phone["front"].Width {
		t.Errorf("the figures are %.0f px wide on a laptop, no larger than on a phone (%.0f)", laptop["front"].Width, phone["front"].Width)
	}
	b.checkAxeAt(t, "the form's body map on a laptop", "1280")

	b.do(t, "recording the concern", chromedp.Click(chromedp.ID("record-concern")), chromedp.WaitVisible(chromedp.ID("reference")))
	checkFigures(t, b, "the concern's page on a laptop", "#body-map", 200)
	list := b.text(t, "#body-marks")
	for _, want := range []string{"1. Front, the child's right arm: Bruise on the right forearm", "2. Back, the child's right leg: Graze behind the right knee"} {
		if !strings.Contains(list, want) {
			t.Errorf("the concern's page lacks %q:\n%s", want, list)
		}
	}
	// Each mark drawn on its own figure at its place (the outline is 100 by 220).
	drawn := b.eval(t, `JSON.stringify([...document.querySelectorAll("#body-map figure[data-figure]")].map((f) =>
		[f.dataset.figure, ...[...f.querySelectorAll("circle.app-mark")].map((c) => [Number(c.dataset.mark), Math.round(c.getAttribute("cx")), Math.round(c.getAttribute("cy"))])]))`)
	if drawn != `[["front",[1,30,88]],["back",[2,60,118]]]` {
		t.Errorf("the concern's page draws the marks as %s", drawn)
	}
	b.checkAxeAt(t, "the concern's body map on a laptop", "1280")
	b.do(t, "a phone's width", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch))
	checkFigures(t, b, "the concern's page on a phone", "#body-map", 140)
	b.checkAxe(t, "the concern's body map on a phone")

	id := b.eval(t, `location.pathname.split("/").pop()`)
	var got struct {
		BodyMap []struct {
			Side string
			X, Y float64
			Note string
		} `json:"bodyMap"`
	}
	apiGet(t, s.URL, teacher, "/api"+school+"/concerns/"+id, &got)
	if len(got.BodyMap) != 2 || got.BodyMap[0].Side != "front" || got.BodyMap[1].Side != "back" ||
		math.Abs(got.BodyMap[0].X-0.3) > 0.005 || math.Abs(got.BodyMap[1].X-0.6) > 0.005 || got.BodyMap[1].Note != "Graze behind the right knee" {
		t.Errorf("the API holds the marks as %+v", got.BodyMap)
	}
}

// Rule C1: with JavaScript the pupils show as one types, in place: the page is not loaded
// again (a mark left on the page by the test survives, and what was typed stays), a status
// line tells a screen reader how many were found, a pupil ticked moves up to the chosen ones
// and stays there through the next search, and the concern is recorded about both. Without
// JavaScript the Search button still finds them, the page coming back at the pupils.
func TestRule_C1_BrowserLocalStack_PupilSearchAsYouType(t *testing.T) {
	b := newBrowser(t)
	s := startLocalStack(t)
	teacher := seed.Email("Tom", "Hughes")
	school := "/schools/" + string(seed.BrookLane)
	signInAs(t, b, s.URL, teacher, school+"/concerns/new")
	b.do(t, "opening the form", chromedp.WaitVisible(chromedp.ID("details")),
		chromedp.SendKeys(chromedp.ID("details"), "Both were crying at the gate at 8:40 and said they had not had breakfast."))
	b.eval(t, `window.sameFormPage = "yes"`)

	b.do(t, "typing part of a name", chromedp.SendKeys(chromedp.ID("q"), "chi"),
		chromedp.WaitVisible(chromedp.CSS(`#pupil-results input[value="bl-01"]`)))
	if b.eval(t, `String(window.sameFormPage)`) != "yes" {
		t.Fatal("typing in the search loaded the page again")
	}
	b.do(t, "the status line", chromedp.Poll[chromedp.Void](`/pupils? found/.test(document.getElementById("pupil-search-status").textContent)`))
	if got := b.eval(t, `location.href`); strings.Contains(strings.ToLower(got), "chi") {
		t.Errorf("the address holds the search: %s", got)
	}
	b.checkAxe(t, "the form with pupils found as one types")
	b.do(t, "ticking Chidi", chromedp.Click(chromedp.ID("pupil-bl-01")),
		chromedp.WaitVisible(chromedp.CSS(`#chosen-pupils input[value="bl-01"]:checked`)))
	if got := b.text(t, "#pupil-search-status"); !strings.Contains(got, "Chidi Okafor added") {
		t.Errorf("after ticking, the status line says %q", got)
	}

	b.do(t, "a second search", chromedp.Evaluate[chromedp.Void](`document.getElementById("q").value = ""`), chromedp.SendKeys(chromedp.ID("q"), "zof"),
		chromedp.WaitVisible(chromedp.CSS(`#pupil-results input[value="bl-04"]`)))
	if b.eval(t, `String(document.querySelector('#pupil-results input[value="bl-01"]') === null)`) != "true" {
		t.Error("the second search offers Chidi again")
	}
	b.do(t, "ticking Zofia", chromedp.Click(chromedp.ID("pupil-bl-04")),
		chromedp.WaitVisible(chromedp.CSS(`#chosen-pupils input[value="bl-04"]:checked`)))
	if got := b.eval(t, `[...document.querySelectorAll('#chosen-pupils input:checked')].map((i) => i.value).join(" ")`); got != "bl-01 bl-04" {
		t.Errorf("the chosen pupils are %q", got)
	}
	if got := b.eval(t, `window.sameFormPage + " " + document.getElementById("details").value.slice(0, 19)`); got != "yes Both were crying at" {
		t.Errorf("the page was loaded again or what was typed is lost: %q", got)
	}
	b.checkAxe(t, "the form with two pupils chosen")

	b.do(t, "recording the concern",
		chromedp.Click(chromedp.ID("category-wellbeing")),
		chromedp.WaitVisible(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.Click(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.Click(chromedp.ID("observed-when")),
		chromedp.Click(chromedp.ID("record-concern")), chromedp.WaitVisible(chromedp.ID("reference")))
	page := b.eval(t, `document.querySelector("main").innerText`)
	for _, want := range []string{"Chidi Okafor", "Zofia Kowalski", "crying at the gate"} {
		if !strings.Contains(page, want) {
			t.Errorf("the concern lacks %q:\n%s", want, page)
		}
	}
	// Without JavaScript the Search button posts the whole form and the page comes back at the
	// pupils found, with what was typed kept; the body map says what to do instead.
	scripts(t, b, false)
	b.do(t, "the form without JavaScript", chromedp.Navigate(s.URL+school+"/concerns/new"), chromedp.WaitVisible(chromedp.ID("details")))
	checkScripts(t, b, false)
	b.do(t, "searching without JavaScript", chromedp.SendKeys(chromedp.ID("details"), "Kept as typed."),
		chromedp.SendKeys(chromedp.ID("q"), "zof"), chromedp.Click(chromedp.ID("search-pupils")),
		chromedp.WaitVisible(chromedp.CSS(`#pupil-results input[value="bl-04"]`)))
	if got := b.eval(t, `location.hash + " " + document.getElementById("details").value`); got != "#pupils-section Kept as typed." {
		t.Errorf("without JavaScript the search comes back as %q", got)
	}
	if got := b.eval(t, `String(document.getElementById("body-map-nojs").hidden) + " " + String(document.getElementById("body-map-outlines").hidden)`); got != "false true" {
		t.Errorf("without JavaScript the body map's note and figures are hidden: %s", got)
	}
	scripts(t, b, true)
}
