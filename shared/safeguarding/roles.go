package safeguarding

import (
	"net/mail"
	"slices"
	"sort"
	"strings"
	"time"
)

// SchoolID identifies one school of a federation.
type SchoolID string

// Role is what a person may do in one school (rule P1).
type Role string

const (
	RoleStaff     Role = "staff"
	RoleTeacher   Role = "teacher"
	RoleAdmin     Role = "admin"
	RoleDSL       Role = "dsl"
	RoleSeniorDSL Role = "senior_dsl"
	RoleGovernor  Role = "governor"
)

// Roles lists every role of rule P1, in the order screens show them.
var Roles = []Role{RoleStaff, RoleTeacher, RoleAdmin, RoleDSL, RoleSeniorDSL, RoleGovernor}

// Principal is the signed-in person and the roles they hold in each school (rule P1). The
// profile also says how alerts reach them: by email at their sign-in email always, and by SMS
// at Mobile when they gave one.
type Principal struct {
	Email string
	// Subject is the identity provider's immutable id of the person's account (rule S8),
	// recorded when the account is made; "" until then.
	Subject     string
	Name        string
	Memberships map[SchoolID][]Role
	// Mobile is an E.164 number ("+447700900123") for SMS alerts; "" for none.
	Mobile string
	// ClosureContact lists the schools whose DSLs designated the person for closure contact
	// (rule P3): a copy, kept with the profile, of each school's current ClosureContact, so
	// every page can show them the way to the families to call without reading it. Seeing a
	// family's details still checks the designation itself.
	ClosureContact []SchoolID
}

// AlertAddress is where the person receives alerts on ch: their email for email, their mobile
// for SMS. ok is false when they have no address for that channel.
func (p Principal) AlertAddress(ch Channel) (addr string, ok bool) {
	switch ch {
	case ChannelEmail:
		return p.Email, p.Email != ""
	case ChannelSMS:
		return p.Mobile, p.Mobile != ""
	}
	return "", false
}

// Has reports whether the principal holds role in school.
func (p Principal) Has(school SchoolID, role Role) bool {
	return slices.Contains(p.Memberships[school], role)
}

// IsMember reports whether the principal holds any role in school.
func (p Principal) IsMember(school SchoolID) bool { return len(p.Memberships[school]) > 0 }

// IsClosureContact reports whether the principal's profile says a DSL of school designated
// them for closure contact (rule P3).
func (p Principal) IsClosureContact(school SchoolID) bool {
	return slices.Contains(p.ClosureContact, school)
}

// IsDSL reports whether the principal is a DSL (or deputy) or the Senior DSL of school.
func (p Principal) IsDSL(school SchoolID) bool {
	return p.Has(school, RoleDSL) || p.Has(school, RoleSeniorDSL)
}

// StaffMember is one person on a school's alert roster.
type StaffMember struct {
	Email string
	Roles []Role
}

func (m StaffMember) Has(r Role) bool { return slices.Contains(m.Roles, r) }

// School is what the rules need to know of a school: its name, settings and alert roster.
type School struct {
	ID     SchoolID
	Name   string
	Roster []StaffMember
	// EndOfDayMinutes is "the end of the day" in minutes after local midnight (default 17:00).
	EndOfDayMinutes int
	// LoneWorkerMinutes is how long after a home visit's planned end a missing check-out
	// alerts (rule V8; 0: DefaultLoneWorkerMinutes).
	LoneWorkerMinutes int
	// DutyTeamNumber is the local authority's children's social care duty team, shown with
	// an immediate concern on a home visit (rule V5). Never put in an alert.
	DutyTeamNumber string
	// SessionIdleMinutes and SessionLifetimeMinutes bound a signed-in session on the web pages
	// (rule S3): how long it lasts without use, and at most (0: DefaultSessionIdle and
	// DefaultSessionLifetime).
	SessionIdleMinutes, SessionLifetimeMinutes int
	// ContactOpeningsPerHour is how many distinct families' contact details one person may
	// open within an hour before each further family needs a reason and the Senior DSL is
	// alerted (rule P3; 0: DefaultContactOpeningsPerHour).
	ContactOpeningsPerHour int
	// LADONumber is the local authority designated officer's number, which the concern form
	// gives for a concern about a member of staff (rule C5); "" until the Senior DSL sets it.
	LADONumber string
	// SafeguardingGovernor is the email of the school's safeguarding governor, a person with
	// the governor role there (rule C5); "" for none named.
	SafeguardingGovernor string
	// KeyContacts are the agencies' contacts the safeguarding policy keeps for staff, one per
	// agency at most, in the order of KeyAgencies.
	KeyContacts []KeyContact
	// SettingsVersion counts the changes to the settings above: a change is written against
	// the version it was read at (0: never changed since the school was made).
	SettingsVersion int
}

// Bounds of a school's ContactOpeningsPerHour (rule P3): a designated person calling families
// through a closure opens a few dozen an hour at most.
const (
	DefaultContactOpeningsPerHour = 30
	MaxContactOpeningsPerHour     = 500
)

// ContactOpeningsLimit is the school's setting, or the default.
func (s School) ContactOpeningsLimit() int {
	if s.ContactOpeningsPerHour <= 0 {
		return DefaultContactOpeningsPerHour
	}
	return s.ContactOpeningsPerHour
}

// Session lengths a school has not set (rule S3).
const (
	DefaultSessionIdle     = 30 * time.Minute
	DefaultSessionLifetime = 10 * time.Hour
)

// SessionLimits is how long a session of someone working in schools lasts without use, and
// at most: the strictest of the schools' settings (rule S3), the defaults when there is none.
func SessionLimits(schools []School) (idle, lifetime time.Duration) {
	idle, lifetime = DefaultSessionIdle, DefaultSessionLifetime
	for i, s := range schools {
		si, sl := DefaultSessionIdle, DefaultSessionLifetime
		if s.SessionIdleMinutes > 0 {
			si = time.Duration(s.SessionIdleMinutes) * time.Minute
		}
		if s.SessionLifetimeMinutes > 0 {
			sl = time.Duration(s.SessionLifetimeMinutes) * time.Minute
		}
		if i == 0 || si < idle {
			idle = si
		}
		if i == 0 || sl < lifetime {
			lifetime = sl
		}
	}
	return idle, lifetime
}

// HasStaff reports whether email is on the school's roster.
func (s School) HasStaff(email string) bool {
	return slices.ContainsFunc(s.Roster, func(m StaffMember) bool { return m.Email == email })
}

// DefaultEndOfDayMinutes is 17:00, the end of the school day unless a school configures another.
const DefaultEndOfDayMinutes = 17 * 60

// NormaliseEmail lower-cases and trims an email address; it reports false when it is not one.
func NormaliseEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", false
	}
	return s, true
}

// AlertEndpoint is one address that one person receives a school's alerts at.
type AlertEndpoint struct {
	School  SchoolID
	Email   string // who: the person's sign-in email, the alert's recipient
	Channel Channel
	Address string // where: the email address, or the E.164 mobile
}

// AlertEndpoints lists where each person on a school's roster receives its alerts (rules C4,
// C5, D7, D8): everyone who holds a role there may be alerted (a DSL of every concern, anyone
// when tagged, assigned an action or as a reporter), by email always and by SMS when their
// profile has a mobile. Which alert goes by which channel is planned per alert (ConcernAlerts,
// the deadline ladder); this is only where each channel reaches. The roster decides who: a
// person removed from it, or left with no role, has no endpoint. profiles are keyed by email;
// a person without a profile is reached by email only. Sorted by email, then channel.
func AlertEndpoints(s School, profiles map[string]Principal) []AlertEndpoint {
	var out []AlertEndpoint
	seen := map[string]bool{}
	for _, m := range s.Roster {
		if len(m.Roles) == 0 || m.Email == "" || seen[m.Email] {
			continue
		}
		seen[m.Email] = true
		p, ok := profiles[m.Email]
		if !ok {
			p = Principal{Email: m.Email}
		}
		p.Email = m.Email
		for _, ch := range []Channel{ChannelEmail, ChannelSMS} {
			if addr, ok := p.AlertAddress(ch); ok {
				out = append(out, AlertEndpoint{School: s.ID, Email: m.Email, Channel: ch, Address: addr})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Email != out[j].Email {
			return out[i].Email < out[j].Email
		}
		return out[i].Channel < out[j].Channel
	})
	return out
}

// AlertTopic is one SNS topic that carries a school's alerts. A school starts with shard 1;
// when a topic holds as many subscriptions as the limit allows, the next people go to shard 2,
// and so on (SNS allows 200 subscriptions with a filter policy per topic by default).
type AlertTopic struct {
	School SchoolID
	Shard  int
	ARN    string
}

// AlertSubscription is one person's subscription to a school's alerts on one channel: the
// topic shard it lives on and the SNS subscription with its filter policy.
type AlertSubscription struct {
	AlertEndpoint
	Shard           int
	TopicARN        string
	SubscriptionARN string
	FilterPolicy    string
}

// LoneWorkerAfter is how long after a visit's planned end a missing check-out raises the
// alarm: the school's setting, or the default.
func (s School) LoneWorkerAfter() time.Duration {
	m := s.LoneWorkerMinutes
	if m <= 0 {
		m = DefaultLoneWorkerMinutes
	}
	return time.Duration(m) * time.Minute
}
