package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/attendance"
)

type userItem struct {
	key
	Type        string              `dynamodbav:"type"`
	Email       string              `dynamodbav:"email"`
	Subject     string              `dynamodbav:"subject,omitempty"`
	Name        string              `dynamodbav:"name"`
	Memberships map[string][]string `dynamodbav:"memberships"`
	// Mobile is the E.164 number for SMS alerts; absent when the person gave none.
	Mobile string `dynamodbav:"mobile,omitempty"`
	// ClosureContact is the set of schools that designated the person for closure contact
	// (rule P3), kept by SaveClosureContact in the designation's own transaction.
	ClosureContact []string `dynamodbav:"closureContact,stringset,omitempty"`
}

func userToItem(p safeguarding.Principal) userItem {
	m := make(map[string][]string, len(p.Memberships))
	for s, roles := range p.Memberships {
		for _, r := range roles {
			m[string(s)] = append(m[string(s)], string(r))
		}
	}
	var cc []string
	for _, s := range p.ClosureContact {
		cc = append(cc, string(s))
	}
	return userItem{key: userKey(p.Email), Type: typeUser, Email: p.Email, Subject: p.Subject, Name: p.Name, Memberships: m, Mobile: p.Mobile, ClosureContact: cc}
}

func userFromItem(it userItem) safeguarding.Principal {
	m := make(map[safeguarding.SchoolID][]safeguarding.Role, len(it.Memberships))
	for s, roles := range it.Memberships {
		for _, r := range roles {
			m[safeguarding.SchoolID(s)] = append(m[safeguarding.SchoolID(s)], safeguarding.Role(r))
		}
	}
	var cc []safeguarding.SchoolID
	for _, s := range it.ClosureContact {
		cc = append(cc, safeguarding.SchoolID(s))
	}
	slices.Sort(cc)
	return safeguarding.Principal{Email: it.Email, Subject: it.Subject, Name: it.Name, Memberships: m, Mobile: it.Mobile, ClosureContact: cc}
}

type staffEntry struct {
	Email string   `dynamodbav:"email"`
	Roles []string `dynamodbav:"roles"`
}

type schoolItem struct {
	key
	Type     string       `dynamodbav:"type"`
	ID       string       `dynamodbav:"id"`
	Name     string       `dynamodbav:"name"`
	EndOfDay int          `dynamodbav:"endOfDayMinutes"`
	Roster   []staffEntry `dynamodbav:"roster"`
	// LoneWorker is rule V8's minutes after a visit's planned end; DutyTeam rule V5's number.
	LoneWorker int    `dynamodbav:"loneWorkerMinutes,omitempty"`
	DutyTeam   string `dynamodbav:"dutyTeamNumber,omitempty"`
	// SessionIdle and SessionLifetime are rule S3's minutes for a web session.
	SessionIdle     int `dynamodbav:"sessionIdleMinutes,omitempty"`
	SessionLifetime int `dynamodbav:"sessionLifetimeMinutes,omitempty"`
	// ContactOpenings is rule P3's distinct families a person may open in an hour without a reason.
	ContactOpenings int `dynamodbav:"contactOpeningsPerHour,omitempty"`
	// LADO, Governor and KeyContacts are what staff turn to about a concern (rule C5 and the
	// policy's key contacts); SettingsVersion counts the Senior DSL's changes (SaveSettings).
	LADO            string            `dynamodbav:"ladoNumber,omitempty"`
	Governor        string            `dynamodbav:"safeguardingGovernor,omitempty"`
	KeyContacts     []keyContactAttrs `dynamodbav:"keyContacts,omitempty"`
	SettingsVersion int               `dynamodbav:"settingsVersion,omitempty"`
}

func schoolToItem(s safeguarding.School) schoolItem {
	it := schoolItem{key: schoolKey(s.ID), Type: typeSchool, ID: string(s.ID), Name: s.Name, EndOfDay: s.EndOfDayMinutes,
		LoneWorker: s.LoneWorkerMinutes, DutyTeam: s.DutyTeamNumber, SessionIdle: s.SessionIdleMinutes, SessionLifetime: s.SessionLifetimeMinutes,
		ContactOpenings: s.ContactOpeningsPerHour, LADO: s.LADONumber, Governor: s.SafeguardingGovernor,
		KeyContacts: keyContactsToAttrs(s.KeyContacts), SettingsVersion: s.SettingsVersion}
	for _, m := range s.Roster {
		e := staffEntry{Email: m.Email}
		for _, r := range m.Roles {
			e.Roles = append(e.Roles, string(r))
		}
		it.Roster = append(it.Roster, e)
	}
	return it
}

func schoolFromItem(it schoolItem) safeguarding.School {
	s := safeguarding.School{ID: safeguarding.SchoolID(it.ID), Name: it.Name, EndOfDayMinutes: it.EndOfDay,
		LoneWorkerMinutes: it.LoneWorker, DutyTeamNumber: it.DutyTeam, SessionIdleMinutes: it.SessionIdle, SessionLifetimeMinutes: it.SessionLifetime,
		ContactOpeningsPerHour: it.ContactOpenings, LADONumber: it.LADO, SafeguardingGovernor: it.Governor,
		KeyContacts: keyContactsFromAttrs(it.KeyContacts), SettingsVersion: it.SettingsVersion}
	for _, e := range it.Roster {
		m := safeguarding.StaffMember{Email: e.Email}
		for _, r := range e.Roles {
			m.Roles = append(m.Roles, safeguarding.Role(r))
		}
		s.Roster = append(s.Roster, m)
	}
	return s
}

type pupilItem struct {
	key
	Type string `dynamodbav:"type"`
	// GSI1PK and GSI1SK list the pupil in their class (rule E1); only the pupil item has
	// them, not its name-search copies.
	GSI1PK string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK string `dynamodbav:"GSI1SK,omitempty"`
	// GSI3PK and GSI3SK list the pupil below rule C9's attendance threshold while they are
	// below it and on the roll (A67); only the pupil item has them.
	GSI3PK    string `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK    string `dynamodbav:"GSI3SK,omitempty"`
	ID        string `dynamodbav:"id"`
	School    string `dynamodbav:"school"`
	Name      string `dynamodbav:"name"`
	YearGroup string `dynamodbav:"yearGroup"`
	ClassName string `dynamodbav:"className"`
	FamilyID  string `dynamodbav:"familyId"`
	// DateOfBirth (S7), the attendance figure (C9, absent when not known) and whether the
	// pupil has left (then in no class list), from the school's MIS.
	DateOfBirth string   `dynamodbav:"dateOfBirth,omitempty"`
	Attendance  *float64 `dynamodbav:"attendance,omitempty"`
	Left        bool     `dynamodbav:"left,omitempty"`
}

func pupilToItem(p safeguarding.Pupil) pupilItem {
	it := pupilItem{key: pupilKey(p.School, p.ID), Type: typePupil, ID: string(p.ID), School: string(p.School),
		Name: p.Name, YearGroup: p.YearGroup, ClassName: p.ClassName, FamilyID: p.FamilyID, Left: p.Left}
	if !p.DateOfBirth.IsZero() {
		it.DateOfBirth = p.DateOfBirth.Format(time.DateOnly)
	}
	if p.HasAttendance {
		it.Attendance = &p.Attendance
	}
	if p.ClassName != "" && !p.Left {
		it.GSI1PK, it.GSI1SK = classPupilsPK(p.School, p.ClassName), classPupilSK(p)
	}
	if p.HasAttendance && p.Attendance < attendance.Threshold && !p.Left {
		it.GSI3PK, it.GSI3SK = lowAttendancePK(p.School), attendanceSK(p.Attendance)+"#"+string(p.ID)
	}
	return it
}

// pupilNameToItem is the name-search copy of a pupil under one word of their name (A4).
func pupilNameToItem(p safeguarding.Pupil, tok string) pupilItem {
	it := pupilToItem(p)
	it.key = key{PK: pupilNamePK(p.School), SK: tok + "#" + string(p.ID)}
	it.Type, it.GSI1PK, it.GSI1SK, it.GSI3PK, it.GSI3SK = typePupilName, "", "", "", ""
	return it
}

func pupilFromItem(it pupilItem) safeguarding.Pupil {
	p := safeguarding.Pupil{ID: safeguarding.PupilID(it.ID), School: safeguarding.SchoolID(it.School), Name: it.Name,
		YearGroup: it.YearGroup, ClassName: it.ClassName, FamilyID: it.FamilyID, Left: it.Left}
	if d, err := time.ParseInLocation(time.DateOnly, it.DateOfBirth, safeguarding.London); err == nil {
		p.DateOfBirth = d
	}
	if it.Attendance != nil {
		p.Attendance, p.HasAttendance = *it.Attendance, true
	}
	return p
}

// PutUser saves a person, their roles in each school (rule P1) and their mobile for SMS
// alerts. The table's stream carries the change to the subscriptions function, which
// subscribes their endpoints to their schools' alert topics.
func (s *Store) PutUser(ctx context.Context, p safeguarding.Principal) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: marshal(userToItem(p))})
	return wrap("put user", err)
}

// PutSchool saves a school, its settings and its alert roster, and lists it in the registry
// the schedules visit (keeping the deadline engine's place there).
func (s *Store) PutSchool(ctx context.Context, sc safeguarding.School) error {
	if err := sc.CheckSettings(); err != nil {
		return err
	}
	// The registry entry, with the copy of the school's name and alert roster (data.md A97).
	listed := schoolSheet(sc)
	listed["type"], listed["school"] = typeRegistry, string(sc.ID)
	reg, err := s.sheetUpdate(sc.ID, listed)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: marshal(schoolToItem(sc))}},
		reg,
	}})
	return wrap("put school", err)
}

// PutPupil saves a pupil and the name-search items that find them, in one transaction.
func (s *Store) PutPupil(ctx context.Context, p safeguarding.Pupil) error {
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: marshal(pupilToItem(p))}}}
	if u, ok := s.dateOfBirthUpdate(p); ok {
		items = append(items, u)
	}
	for _, tok := range nameTokens(p.Name) {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(pupilNameToItem(p, tok))}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return wrap("put pupil", err)
}

// Principal reads a person's profile and roles. Someone with no profile has no roles. When
// ctx carries the request's verified identity (safeguarding.WithIdentity) and email is its
// email, the profile is the sender's own only if its subject is theirs (rule S8): anyone
// else holding a token with that email, in any capitals, is refused with ErrForbidden.
func (s *Store) Principal(ctx context.Context, email string) (safeguarding.Principal, error) {
	var it userItem
	ok, err := s.getItem(ctx, userKey(email), &it, false)
	if err != nil {
		return safeguarding.Principal{Email: email}, err
	}
	id, signedIn := safeguarding.IdentityFrom(ctx)
	sender := signedIn && id.Email == email
	if !ok {
		return safeguarding.Principal{Email: email}, nil
	}
	p := userFromItem(it)
	if sender && !id.Matches(p) {
		return safeguarding.Principal{}, fmt.Errorf("store: the sender's account is not the one on record for their email: %w", safeguarding.ErrForbidden)
	}
	return p, nil
}

// School reads a school's settings and roster.
func (s *Store) School(ctx context.Context, id safeguarding.SchoolID) (safeguarding.School, error) {
	var it schoolItem
	ok, err := s.getItem(ctx, schoolKey(id), &it, false)
	if err != nil {
		return safeguarding.School{}, err
	}
	if !ok {
		return safeguarding.School{}, fmt.Errorf("school %q: %w", id, safeguarding.ErrNotFound)
	}
	return schoolFromItem(it), nil
}

// SearchPupils finds up to limit pupils of a school whose name has a word starting with the
// first word of q and contains every other word of q, in one Query; an empty q lists pupils
// in name order. A renamed pupil's items under words of the former name carry the new name,
// and are passed over.
func (s *Store) SearchPupils(ctx context.Context, school safeguarding.SchoolID, q string, limit int) ([]safeguarding.Pupil, error) {
	words := nameTokens(q)
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pupilNamePK(school)}},
		Limit:                     aws.Int32(500),
	}
	if len(words) > 0 {
		in.KeyConditionExpression = aws.String("PK = :pk AND begins_with(SK, :prefix)")
		in.ExpressionAttributeValues[":prefix"] = &types.AttributeValueMemberS{Value: words[0]}
	} else {
		words = []string{""}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, wrap("search pupils", err)
	}
	seen := map[string]bool{}
	var pupils []safeguarding.Pupil
	for _, item := range out.Items {
		var it pupilItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		// An item under a word the pupil's name no longer has (they were renamed) is passed over.
		name := strings.ToLower(it.Name)
		if seen[it.ID] || !containsAll(name, words[1:]) || !slices.ContainsFunc(nameTokens(it.Name), func(tok string) bool {
			return strings.HasPrefix(tok, words[0])
		}) {
			continue
		}
		seen[it.ID] = true
		pupils = append(pupils, pupilFromItem(it))
	}
	sort.Slice(pupils, func(i, j int) bool { return pupils[i].Name < pupils[j].Name })
	if len(pupils) > limit {
		pupils = pupils[:limit]
	}
	return pupils, nil
}

func containsAll(s string, words []string) bool {
	return !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(s, w) })
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// Pupils reads the named pupils of a school in one BatchGetItem (up to 100); absent ones are
// left out.
func (s *Store) Pupils(ctx context.Context, school safeguarding.SchoolID, ids []safeguarding.PupilID) (map[safeguarding.PupilID]safeguarding.Pupil, error) {
	keys := make([]key, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, pupilKey(school, id))
	}
	out := map[safeguarding.PupilID]safeguarding.Pupil{}
	if len(keys) == 0 {
		return out, nil
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	for _, item := range found {
		var it pupilItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		out[safeguarding.PupilID(it.ID)] = pupilFromItem(it)
	}
	return out, nil
}
