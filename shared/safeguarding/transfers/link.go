package transfers

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// The link of a transfer outside the federation (rule S5).
const (
	// LinkValidity is how long the link works from the moment the file is sent: a week, so a
	// DSL away for a day or two still has time, while the export does not wait about for long.
	LinkValidity = 7 * 24 * time.Hour
	// MaxTries wrong codes lock the link; the sending DSL sends again for a new link and code.
	MaxTries = 5
	// CodeDigits is the length of the one-time code read out by phone.
	CodeDigits = 8
	// tokenBytes is the link's own secret, in its address.
	tokenBytes = 32
)

// Link is what is kept of a link: hashes only, never the token or the code. The code's hash is
// keyed by the token, so the table alone does not let anyone try codes offline.
type Link struct {
	TokenHash string
	CodeHash  string
	ExpiresAt time.Time
	Tries     int
	Locked    bool
	Used      bool
	// ObjectKey and ObjectVersion are the export's archive in the bucket.
	ObjectKey     string
	ObjectVersion string
}

// Errors of a link, each answered on the public page in plain words.
var (
	ErrLinkExpired = errors.New("the link has expired")
	ErrLinkLocked  = errors.New("the link is locked after too many wrong codes")
	ErrLinkUsed    = errors.New("the file was already downloaded through this link")
	ErrWrongCode   = errors.New("the code is not right")
	ErrNoLink      = errors.New("there is no such link")
)

// NewLink makes a link's token and its one-time code from random (crypto/rand in production)
// and what is kept of them.
func NewLink(random io.Reader, now time.Time) (l Link, token, code string, err error) {
	b := make([]byte, tokenBytes+CodeDigits)
	if _, err := io.ReadFull(random, b); err != nil {
		return Link{}, "", "", fmt.Errorf("transfers: random: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:tokenBytes])
	digits := make([]byte, CodeDigits)
	for i, c := range b[tokenBytes:] {
		digits[i] = '0' + c%10 // 256 is not a multiple of 10: a slight bias, of no use to a guesser with 5 tries
	}
	code = string(digits)
	return Link{TokenHash: hash(token), CodeHash: hash(token + ":" + code), ExpiresAt: now.Add(LinkValidity).UTC()}, token, code, nil
}

// CodeWords is a code as shown to be read out: two groups of four digits.
func CodeWords(code string) string {
	if len(code) != CodeDigits {
		return code
	}
	return code[:4] + " " + code[4:]
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Matches says whether token is this link's.
func (l Link) Matches(token string) bool {
	return l.TokenHash != "" && subtle.ConstantTimeCompare([]byte(hash(token)), []byte(l.TokenHash)) == 1
}

// normaliseCode keeps the digits of what was typed ("1234 5678", "1234-5678").
func normaliseCode(s string) string {
	out := make([]byte, 0, CodeDigits)
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// Open is someone using the link at now with code. It returns the transfer as it now stands
// (every attempt is kept in its history, a wrong code counted) and nil when the code is right
// within the time, which makes the download the receipt; otherwise the error says why, in a
// way the page can put in plain words. A token that is not the link's is ErrNoLink, and
// nothing changes.
func (t Transfer) Open(token, code string, now time.Time) (Transfer, error) {
	if t.To.InFederation() || t.Status == StatusDue || !t.Link.Matches(token) {
		return t, ErrNoLink
	}
	next := t
	next.History = append([]Event(nil), t.History...)
	next.Version++
	switch {
	case t.Link.Used:
		next.log(now, "", EventRefused, "already downloaded")
		return next, ErrLinkUsed
	case t.Link.Locked:
		next.log(now, "", EventRefused, "locked")
		return next, ErrLinkLocked
	case !now.Before(t.Link.ExpiresAt):
		next.log(now, "", EventRefused, "expired")
		return next, ErrLinkExpired
	}
	c := normaliseCode(code)
	if len(c) != CodeDigits || subtle.ConstantTimeCompare([]byte(hash(token+":"+c)), []byte(t.Link.CodeHash)) != 1 {
		next.Link.Tries++
		next.log(now, "", EventWrongCode, fmt.Sprintf("try %d of %d", next.Link.Tries, MaxTries))
		if next.Link.Tries >= MaxTries {
			next.Link.Locked = true
			next.log(now, "", EventLocked, "")
			return next, ErrLinkLocked
		}
		return next, ErrWrongCode
	}
	next.Link.Used = true
	next.Status = StatusReceived
	next.ReceivedAt = now.UTC()
	next.ReceivedBy = t.To.DSLEmail
	next.log(now, t.To.DSLEmail, EventDownloaded, "")
	next.log(now, t.To.DSLEmail, EventReceived, "")
	return next, nil
}

// TriesLeft is how many wrong codes the link still takes.
func (l Link) TriesLeft() int { return max(0, MaxTries-l.Tries) }

// Opened is someone opening the link's page at now, before any code: kept in the history
// when the token is the link's, with why the link will refuse a code if it will (expired,
// locked, used). A token that is not the link's is ErrNoLink, and nothing changes.
func (t Transfer) Opened(token string, now time.Time) (Transfer, error) {
	if t.To.InFederation() || t.Status == StatusDue || !t.Link.Matches(token) {
		return t, ErrNoLink
	}
	next := t
	next.History = append([]Event(nil), t.History...)
	next.Version++
	next.log(now, "", EventLinkOpened, "")
	switch {
	case t.Link.Used:
		return next, ErrLinkUsed
	case t.Link.Locked:
		return next, ErrLinkLocked
	case !now.Before(t.Link.ExpiresAt):
		return next, ErrLinkExpired
	}
	return next, nil
}
