package seals

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

const school = safeguarding.SchoolID("brook-lane")

func local(day string, hh, mm int) time.Time {
	t := dayStart(day)
	return time.Date(t.Year(), t.Month(), t.Day(), hh, mm, 0, 0, safeguarding.London)
}

// entry is an audit entry at t as the store keys it.
func entry(t time.Time, id string) Entry {
	return Entry{Key: t.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + id, Digest: sha256.Sum256([]byte(id))}
}

func TestRule_P4_TheFirstSealStartsOnTheChainsFirstDayAndReachesSettleBeforeNow(t *testing.T) {
	now := local("2026-11-23", 10, 0)
	w, done := Next(Seal{}, false, "2026-11-23", now.Add(-Settle))
	if done || w.Day != "2026-11-23" || w.After != "" || w.Closes || w.Seq != 1 || w.Prev != (Digest{}) {
		t.Fatalf("window %+v done %v", w, done)
	}
	in, out := entry(local("2026-11-23", 9, 39), "A"), entry(local("2026-11-23", 9, 40), "B")
	if !(in.Key <= w.UpTo) || out.Key <= w.UpTo {
		t.Errorf("up to %s: an entry of 9:39 is in, one of 9:40 (20 minutes before now) is not", w.UpTo)
	}
}

func TestRule_P4_SealsChainAndAWindowWithNothingWritesNothing(t *testing.T) {
	now := local("2026-11-23", 10, 0)
	w, _ := Next(Seal{}, false, "2026-11-23", now.Add(-Settle))
	if got := w.Seal(school, nil, now); got != nil {
		t.Fatalf("an empty window mid-day sealed %+v", got)
	}
	first := w.Seal(school, []Entry{entry(local("2026-11-23", 9, 0), "A")}, now)
	if len(first) != 1 || first[0].Seq != 1 || first[0].Hash != first[0].Sum() || first[0].Hash == (Digest{}) {
		t.Fatalf("first seal %+v", first)
	}
	// Sealing again at the same time: nothing left.
	if w, done := Next(first[0], true, "", now.Add(-Settle)); !done {
		t.Fatalf("the same run again found window %+v", w)
	}
	later := now.Add(15 * time.Minute)
	w2, done := Next(first[0], true, "", later.Add(-Settle))
	if done || w2.After != first[0].UpTo || w2.Seq != 2 || w2.Prev != first[0].Hash {
		t.Fatalf("next window %+v done %v", w2, done)
	}
	second := w2.Seal(school, []Entry{entry(local("2026-11-23", 9, 50), "B")}, later)
	var c Chain
	for _, s := range append(first, second...) {
		if p := c.Next(s); p != nil {
			t.Fatalf("chain refused seal %d: %+v", s.Seq, p)
		}
	}
}

func TestRule_P4_TheDaysLastSealClosesItAtMidnightEvenWithNothingToSeal(t *testing.T) {
	last := Seal{School: school, Seq: 7, Day: "2026-11-23", UpTo: KeyBefore(local("2026-11-23", 23, 30))}
	last.Hash = last.Sum()
	now := local("2026-11-24", 0, 30)
	w, done := Next(last, true, "", now.Add(-Settle))
	if done || w.Day != "2026-11-23" || !w.Closes || w.UpTo != KeyBefore(local("2026-11-24", 0, 0)) {
		t.Fatalf("window %+v done %v", w, done)
	}
	closing := w.Seal(school, nil, now)
	if len(closing) != 1 || !closing[0].Closes || len(closing[0].Entries) != 0 {
		t.Fatalf("closing seal %+v", closing)
	}
	// The next window starts the next day from nothing.
	w, done = Next(closing[0], true, "", now.Add(-Settle))
	if done || w.Day != "2026-11-24" || w.After != "" || w.Seq != 9 {
		t.Fatalf("window after midnight %+v done %v", w, done)
	}
	// An entry at midnight belongs to the new day's partition, and to its seal.
	if k := entry(local("2026-11-24", 0, 0), "M").Key; k <= closing[0].UpTo || k > w.UpTo {
		t.Errorf("midnight's entry %s: not after %s and up to %s", k, closing[0].UpTo, w.UpTo)
	}
}

func TestRule_P4_ABusyWindowIsSealedInSeveralChainedSeals(t *testing.T) {
	now := local("2026-11-23", 12, 0)
	var entries []Entry
	for i := range 2*MaxEntries + 5 {
		entries = append(entries, entry(local("2026-11-23", 9, 0).Add(time.Duration(i)*time.Second), fmt.Sprintf("E%05d", i)))
	}
	w, _ := Next(Seal{}, false, "2026-11-23", now.Add(-Settle))
	got := w.Seal(school, entries, now)
	if len(got) != 3 || len(got[0].Entries) != MaxEntries || len(got[2].Entries) != 5 {
		t.Fatalf("%d seals", len(got))
	}
	if got[0].UpTo != entries[MaxEntries-1].Key || got[1].After != got[0].UpTo || got[2].UpTo != w.UpTo {
		t.Errorf("ranges: %s / %s, %s", got[0].UpTo, got[1].After, got[2].UpTo)
	}
	var c Chain
	for _, s := range got {
		if p := c.Next(s); p != nil {
			t.Fatalf("seal %d: %+v", s.Seq, p)
		}
		if p := Compare(s, s.InRange(entries)); p != nil {
			t.Fatalf("seal %d against its own entries: %+v", s.Seq, p)
		}
	}
}

func TestRule_P4_CompareNamesTheFirstEntryChangedRemovedOrAdded(t *testing.T) {
	a, b, c := entry(local("2026-11-23", 9, 0), "A"), entry(local("2026-11-23", 9, 1), "B"), entry(local("2026-11-23", 9, 2), "C")
	w, _ := Next(Seal{}, false, "2026-11-23", local("2026-11-23", 10, 0))
	s := w.Seal(school, []Entry{a, b, c}, local("2026-11-23", 10, 20))[0]
	changed := b
	changed.Digest[0] ^= 1
	added := entry(local("2026-11-23", 9, 1).Add(time.Millisecond), "B2")
	for _, tc := range []struct {
		name string
		now  []Entry
		want *Problem
	}{
		{"unchanged", []Entry{a, b, c}, nil},
		{"changed", []Entry{a, changed, c}, &Problem{Kind: EntryChanged, Seq: 1, Day: "2026-11-23", Key: b.Key}},
		{"removed", []Entry{a, c}, &Problem{Kind: EntryRemoved, Seq: 1, Day: "2026-11-23", Key: b.Key}},
		{"removed last", []Entry{a, b}, &Problem{Kind: EntryRemoved, Seq: 1, Day: "2026-11-23", Key: c.Key}},
		{"added", []Entry{a, b, added, c}, &Problem{Kind: EntryAdded, Seq: 1, Day: "2026-11-23", Key: added.Key}},
	} {
		got := Compare(s, tc.now)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestRule_P4_TheChainNamesASealChangedOrMissing(t *testing.T) {
	now := local("2026-11-23", 12, 0)
	var chain []Seal
	last, ok := Seal{}, false
	for i := range 3 {
		w, _ := Next(last, ok, "2026-11-23", local("2026-11-23", 9+i, 0))
		s := w.Seal(school, []Entry{entry(local("2026-11-23", 8+i, 30), fmt.Sprint(i))}, now)[0]
		chain = append(chain, s)
		last, ok = s, true
	}
	check := func(seals []Seal) *Problem {
		var c Chain
		for _, s := range seals {
			if p := c.Next(s); p != nil {
				return p
			}
		}
		return nil
	}
	if p := check(chain); p != nil {
		t.Fatalf("the chain as sealed: %+v", p)
	}
	edited := append([]Seal(nil), chain...)
	edited[1].Entries = edited[1].Entries[:0]
	if p := check(edited); p == nil || p.Kind != SealChanged || p.Seq != 2 {
		t.Errorf("a seal emptied: %+v", p)
	}
	resealed := append([]Seal(nil), chain...)
	resealed[1].Entries = nil
	resealed[1].Hash = resealed[1].Sum() // re-hashed by whoever edited it: the next seal's Prev no longer matches
	if p := check(resealed); p == nil || p.Kind != SealChanged || p.Seq != 2 {
		t.Errorf("a seal edited and re-hashed: %+v", p)
	}
	if p := check([]Seal{chain[0], chain[2]}); p == nil || p.Kind != SealMissing || p.Seq != 2 {
		t.Errorf("a seal removed: %+v", p)
	}
	if p := check(chain[1:]); p == nil || p.Kind != SealMissing || p.Seq != 1 {
		t.Errorf("the first seal removed: %+v", p)
	}
}

func TestRule_P4_AVerificationRangeIsValidated(t *testing.T) {
	for _, r := range [][2]string{{"", "2026-11-23"}, {"2026-11-23", "23/11/2026"}, {"2026-11-24", "2026-11-23"}, {"2026-10-01", "2026-11-23"}} {
		if err := checkRange(r[0], r[1]); err == nil {
			t.Errorf("%v accepted", r)
		}
	}
	if err := checkRange("2026-10-24", "2026-11-23"); err != nil { // 31 days, over the clocks' change
		t.Errorf("31 days refused: %v", err)
	}
}

func TestRule_P4_AProblemIsSaidInPlainWords(t *testing.T) {
	key := entry(local("2026-11-23", 9, 5), "A").Key
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{Kind: EntryChanged, Day: "2026-11-23", Key: key}, "The audit entry of Monday 23 November 2026 at 09:05:00 was changed after it was sealed."},
		{Problem{Kind: SealMissing, Day: "2026-11-23", Seq: 4}, "A seal of Monday 23 November 2026 is missing."},
	} {
		if got := tc.p.Words(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
}
