package seals

import (
	"sort"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// What a verification finds no longer matching, the first of them in the chain's order.
const (
	// EntryChanged: an entry's stored attributes differ from what was sealed.
	EntryChanged = "entry-changed"
	// EntryRemoved: a sealed entry is no longer in the table.
	EntryRemoved = "entry-removed"
	// EntryAdded: an entry is in a sealed range but not in its seal.
	EntryAdded = "entry-added"
	// SealChanged: a seal's contents no longer give its hash, or differ from its anchor.
	SealChanged = "seal-changed"
	// SealMissing: a seal of the chain is gone, or the chain does not run on from it.
	SealMissing = "seal-missing"
	// EntryNotSealed: an entry old enough to have been sealed by several runs is in no seal:
	// the seals after it are gone, or sealing has stopped.
	EntryNotSealed = "entry-not-sealed"
)

// Overdue is how old an entry is when a verification expects it sealed: Settle, then two
// runs' time.
const Overdue = Settle + 30*time.Minute

// Problem is the first entry or seal that no longer matches.
type Problem struct {
	Kind string
	// Seq is the seal concerned: the one covering the entry, or the seal itself.
	Seq int
	Day string
	// Key is the entry's key (its time and id) for an entry; "" for a seal.
	Key string
}

// Report is the outcome of a verification over the days From to To.
type Report struct {
	From, To string
	// AnchorDay is the day whose anchored seal the chain was checked from; "" when there was
	// none, and the chain was checked from its first seal.
	AnchorDay string
	Seals     int
	Entries   int
	// Unsealed counts the range's entries not sealed yet (the last Settle minutes, or later
	// than the last run).
	Unsealed int
	Problem  *Problem
}

// Chain checks seals in order, from start (the anchored seal, or the zero Seal when the
// chain is checked from its first seal).
type Chain struct {
	last    Seal
	started bool
}

// StartAt begins the check at a seal that is trusted (anchored, and equal to its anchor).
func StartAt(anchored Seal) Chain { return Chain{last: anchored, started: true} }

// Next checks that s follows the seals before it and that its hash is its own. It returns the
// problem found, or nil.
func (c *Chain) Next(s Seal) *Problem {
	if s.Sum() != s.Hash {
		return &Problem{Kind: SealChanged, Seq: s.Seq, Day: s.Day}
	}
	want := Seal{}
	if c.started {
		want = c.last
	}
	if s.Seq != want.Seq+1 {
		return &Problem{Kind: SealMissing, Seq: want.Seq + 1, Day: s.Day}
	}
	if s.Prev != want.Hash {
		// This seal holds another hash for the one before: that one was changed and re-hashed.
		return &Problem{Kind: SealChanged, Seq: want.Seq, Day: want.Day}
	}
	follows := s.After == ""
	switch {
	case c.started && want.Closes:
		follows = follows && s.Day == nextDay(want.Day)
	case c.started:
		follows = s.Day == want.Day && s.After == want.UpTo
	}
	if !follows {
		return &Problem{Kind: SealChanged, Seq: s.Seq, Day: s.Day}
	}
	c.last, c.started = s, true
	return nil
}

// Compare checks a seal against the entries its range holds now (in key order) and returns
// the first that differs, or nil.
func Compare(s Seal, now []Entry) *Problem {
	i, j := 0, 0
	for i < len(now) || j < len(s.Entries) {
		switch {
		case i < len(now) && j < len(s.Entries) && now[i].Key == s.Entries[j].Key:
			if now[i].Digest != s.Entries[j].Digest {
				return &Problem{Kind: EntryChanged, Seq: s.Seq, Day: s.Day, Key: now[i].Key}
			}
			i, j = i+1, j+1
		case j == len(s.Entries) || i < len(now) && now[i].Key < s.Entries[j].Key:
			return &Problem{Kind: EntryAdded, Seq: s.Seq, Day: s.Day, Key: now[i].Key}
		default:
			return &Problem{Kind: EntryRemoved, Seq: s.Seq, Day: s.Day, Key: s.Entries[j].Key}
		}
	}
	return nil
}

// InRange are the entries of a day (in key order) that a seal's range holds.
func (s Seal) InRange(day []Entry) []Entry {
	lo := sort.Search(len(day), func(i int) bool { return day[i].Key > s.After })
	hi := sort.Search(len(day), func(i int) bool { return day[i].Key > s.UpTo })
	return day[lo:max(lo, hi)]
}

// Unsealed counts the entries of a day after its last seal (after "" for a day without one),
// and names the first of them that is older than Overdue at now.
func Unsealed(day []Entry, after string, now time.Time) (int, *Problem) {
	n, overdue := 0, KeyBefore(now.Add(-Overdue))
	var p *Problem
	for _, e := range day {
		if e.Key <= after {
			continue
		}
		n++
		if p == nil && e.Key <= overdue {
			p = &Problem{Kind: EntryNotSealed, Key: e.Key}
		}
	}
	return n, p
}

// KeyTime is the time an entry's key starts with, as written ("" when the key has none).
func KeyTime(key string) string {
	t, _, _ := strings.Cut(key, "#")
	return t
}

// Words says what was found in plain words, for the Senior DSL: which entry (by its time) or
// which day's seal no longer matches.
func (p Problem) Words() string {
	when := ""
	if t, err := time.Parse("2006-01-02T15:04:05.000000000Z", KeyTime(p.Key)); err == nil {
		when = t.In(safeguarding.London).Format("Monday 2 January 2006 at 15:04:05")
	}
	day := p.Day
	if d, err := time.ParseInLocation(time.DateOnly, p.Day, safeguarding.London); err == nil {
		day = d.Format("Monday 2 January 2006")
	}
	switch p.Kind {
	case EntryChanged:
		return "The audit entry of " + when + " was changed after it was sealed."
	case EntryRemoved:
		return "The audit entry of " + when + " was removed after it was sealed."
	case EntryAdded:
		return "An audit entry dated " + when + " was added after that time was sealed."
	case EntryNotSealed:
		return "The audit entry of " + when + " should have been sealed by now and is in no seal: a seal was removed, or sealing has stopped."
	case SealChanged:
		return "A seal of " + day + " was changed after it was written."
	case SealMissing:
		return "A seal of " + day + " is missing."
	}
	return "Something in the audit of " + day + " no longer matches its seal."
}
