// Package seals makes the audit trail tamper-evident (rule P4). Entries are written with the
// reads and writes they describe, one per request, never chained at write time; every 15
// minutes a sealing run hashes each school's entries written since its last seal, in key
// order, into a seal that also holds the hash of the seal before it: a chain per school. The
// day's last seal is anchored outside the table, where no one can change it before its
// retention ends. Verify re-computes the chain over a range of days from the last anchor
// before it and names the first entry or seal that no longer matches.
//
// The store gives entries as their key and a digest of everything stored in them; what a
// digest covers is the store's business, that it changes with any attribute is this
// package's assumption.
//
// Time is passed in from the schedule's event or the request; nothing here reads the clock.
package seals

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Settle is how old an entry's time must be before it is sealed. An entry carries the time of
// the request or schedule that wrote it, which precedes its write by at most the writer's run
// (15 minutes for the longest function); entries younger than this may still be on their way,
// and go in a later seal.
const Settle = 20 * time.Minute

// MaxEntries bounds one seal, so that its item stays well inside DynamoDB's 400 KB: a busier
// window is sealed as several seals, each chained to the one before.
const MaxEntries = 1000

// Digest is a SHA-256 hash.
type Digest [sha256.Size]byte

// Entry is one audit item as the store gives it for sealing: its sort key within the day's
// partition (keys sort by time) and the digest of its stored attributes.
type Entry struct {
	Key    string
	Digest Digest
}

// Seal covers a school's audit entries of one local day whose keys are after After and up to
// UpTo (After is "" for the day's first seal). Seals of a school are numbered from 1 without a
// gap; each holds the hash of the one before (Prev; zero for the first).
type Seal struct {
	School safeguarding.SchoolID
	Seq    int
	// Day is the local date (YYYY-MM-DD) whose partition the entries are in.
	Day   string
	After string
	UpTo  string
	// Closes is true for the day's last seal, which is anchored.
	Closes   bool
	Entries  []Entry
	Prev     Digest
	Hash     Digest
	SealedAt time.Time
}

// Sum is the seal's hash over everything it holds except SealedAt and Hash itself.
func (s Seal) Sum() Digest {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte("keepsafe audit seal v1"))
	field([]byte(s.School))
	field(binary.BigEndian.AppendUint64(nil, uint64(s.Seq))) // #nosec G115 -- Seq's bits as they are, hashed, never used as a number
	field([]byte(s.Day))
	field([]byte(s.After))
	field([]byte(s.UpTo))
	if s.Closes {
		field([]byte{1})
	} else {
		field([]byte{0})
	}
	field(s.Prev[:])
	field(binary.BigEndian.AppendUint64(nil, uint64(len(s.Entries))))
	for _, e := range s.Entries {
		field([]byte(e.Key))
		field(e.Digest[:])
	}
	var d Digest
	h.Sum(d[:0])
	return d
}

// dayStart is the first instant of a local date.
func dayStart(day string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, day, safeguarding.London)
	if err != nil {
		panic("seals: a day that is not a date: " + day) // days are only ever made by localDate
	}
	return t
}

func localDate(t time.Time) string { return t.In(safeguarding.London).Format(time.DateOnly) }

func nextDay(day string) string { return localDate(dayStart(day).AddDate(0, 0, 1)) }

// KeyBefore is the greatest key an entry written before t can have: the store's keys start with
// the entry's time (UTC, fixed width, to the nanosecond) then "#" and the entry's id, and "~"
// sorts after every character of an id.
func KeyBefore(t time.Time) string {
	return t.Add(-time.Nanosecond).UTC().Format("2006-01-02T15:04:05.000000000Z") + "#~"
}

// Window is the next range of one day's entries to seal.
type Window struct {
	Day    string
	After  string
	UpTo   string
	Closes bool
	// Seq and Prev are the number and hash the window's first seal takes.
	Seq  int
	Prev Digest
}

// Next is the window after the last seal (ok false: none yet, the chain starts on the local
// date first), up to target; done when nothing before target remains to seal.
func Next(last Seal, ok bool, first string, target time.Time) (w Window, done bool) {
	switch {
	case !ok:
		w = Window{Day: first, Seq: 1}
	case last.Closes:
		w = Window{Day: nextDay(last.Day), Seq: last.Seq + 1, Prev: last.Hash}
	default:
		w = Window{Day: last.Day, After: last.UpTo, Seq: last.Seq + 1, Prev: last.Hash}
	}
	end := dayStart(nextDay(w.Day))
	if !target.Before(end) {
		w.Closes = true
	} else {
		end = target
	}
	w.UpTo = KeyBefore(end)
	if !w.Closes && w.UpTo <= w.After {
		return w, true
	}
	return w, !end.After(dayStart(w.Day))
}

// Seal makes the seals of a window from its entries (in key order): none when the window
// has no entry and does not close the day; one per MaxEntries entries, each chained to the
// one before; the last one reaching the window's end and closing the day when it does.
func (w Window) Seal(school safeguarding.SchoolID, entries []Entry, at time.Time) []Seal {
	if len(entries) == 0 && !w.Closes {
		return nil
	}
	var out []Seal
	after, prev, seq := w.After, w.Prev, w.Seq
	for first := true; first || len(entries) > 0; first = false {
		n := min(len(entries), MaxEntries)
		s := Seal{School: school, Seq: seq, Day: w.Day, After: after, Entries: entries[:n:n], Prev: prev, SealedAt: at}
		entries = entries[n:]
		if len(entries) == 0 {
			s.UpTo, s.Closes = w.UpTo, w.Closes
		} else {
			s.UpTo = s.Entries[n-1].Key
		}
		s.Hash = s.Sum()
		out = append(out, s)
		after, prev, seq = s.UpTo, s.Hash, seq+1
	}
	return out
}
