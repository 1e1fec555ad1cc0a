package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

const (
	typeContacts        = "contacts"
	typeContactsVersion = "contacts-version"
	typeClosureContact  = "closure-contact"
)

// contactsPK is a family's contact details in one school: the current version and every
// earlier one. It is a partition of its own, so no read of a family or a list of families
// can carry a phone number or an address (rule P3).
func contactsPK(s safeguarding.SchoolID, family string) string {
	return "SCHOOL#" + string(s) + "#CONTACTS#" + family
}

func contactsKey(s safeguarding.SchoolID, family string) key {
	return key{PK: contactsPK(s, family), SK: "CURRENT"}
}

func contactsVersionKey(s safeguarding.SchoolID, family string, version int) key {
	return key{PK: contactsPK(s, family), SK: fmt.Sprintf("VERSION#%06d", version)}
}

// familiesPK lists a school's families and their contact details' summaries side by side
// (GSI1, sorted by family), for the H1 report: a family item sorts as "<family>#FAMILY", its
// contact details as "<family>#CONTACTS".
func familiesPK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#FAMILIES" }

// closureContactKey is one person's designation for closure contact, beside the school's
// roster in the school's partition.
func closureContactKey(s safeguarding.SchoolID, email string) key {
	return key{PK: "SCHOOL#" + string(s), SK: "CLOSURECONTACT#" + email}
}

type phoneItem struct {
	Label       string    `dynamodbav:"label"`
	Number      string    `dynamodbav:"number"`
	ConfirmedAt time.Time `dynamodbav:"confirmedAt"`
}

type addressItem struct {
	Lines    []string `dynamodbav:"lines"`
	Postcode string   `dynamodbav:"postcode,omitempty"`
}

// contactsItem is one version of a family's contact details. The current one also carries
// GSI1 keys and a summary without numbers (phoneCount, confirmedAts, hasAddress), which is
// all the H1 report projects.
type contactsItem struct {
	key
	Type         string       `dynamodbav:"type"`
	GSI1PK       string       `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK       string       `dynamodbav:"GSI1SK,omitempty"`
	School       string       `dynamodbav:"school"`
	Family       string       `dynamodbav:"family"`
	Phones       []phoneItem  `dynamodbav:"phones"`
	Address      addressItem  `dynamodbav:"address"`
	Pupils       []string     `dynamodbav:"pupils"`
	PhoneCount   int          `dynamodbav:"phoneCount"`
	ConfirmedAts []time.Time  `dynamodbav:"confirmedAts"`
	HasAddress   bool         `dynamodbav:"hasAddress"`
	Version      int          `dynamodbav:"version"`
	ChangedAt    time.Time    `dynamodbav:"changedAt"`
	ChangedBy    string       `dynamodbav:"changedBy"`
	Reason       string       `dynamodbav:"reason"`
	Changes      *changesItem `dynamodbav:"changes,omitempty"`
}

// changesItem is what a version changed, by label: never a number or an address line.
type changesItem struct {
	Added     []string      `dynamodbav:"added,omitempty"`
	Replaced  []string      `dynamodbav:"replaced,omitempty"`
	Confirmed []string      `dynamodbav:"confirmed,omitempty"`
	Removed   []removalItem `dynamodbav:"removed,omitempty"`
	Kept      []string      `dynamodbav:"kept,omitempty"`
	Address   string        `dynamodbav:"address"`
}

type removalItem struct {
	Label  string `dynamodbav:"label"`
	Reason string `dynamodbav:"reason,omitempty"`
}

func changesToItem(c contact.ContactChanges) *changesItem {
	if c.Address == "" {
		return nil // written before versions kept their changes
	}
	it := &changesItem{Added: c.Added, Replaced: c.Replaced, Confirmed: c.Confirmed, Kept: c.Kept, Address: string(c.Address)}
	for _, r := range c.Removed {
		it.Removed = append(it.Removed, removalItem(r))
	}
	return it
}

func changesFromItem(it *changesItem) contact.ContactChanges {
	if it == nil {
		return contact.ContactChanges{}
	}
	c := contact.ContactChanges{Added: it.Added, Replaced: it.Replaced, Confirmed: it.Confirmed, Kept: it.Kept,
		Address: contact.AddressChange(it.Address)}
	for _, r := range it.Removed {
		c.Removed = append(c.Removed, contact.ContactRemoval(r))
	}
	return c
}

func contactsToItem(c contact.ContactDetails, current bool) contactsItem {
	s := c.Snapshot()
	it := contactsItem{School: string(s.School), Family: s.Family, Phones: []phoneItem{}, Pupils: []string{},
		Address:    addressItem{Lines: append([]string{}, s.Address.Lines...), Postcode: s.Address.Postcode},
		PhoneCount: len(s.Phones), ConfirmedAts: []time.Time{}, HasAddress: !s.Address.IsZero(),
		Version: s.Version, ChangedAt: s.ChangedAt, ChangedBy: s.ChangedBy, Reason: s.Reason, Changes: changesToItem(s.Changes)}
	for _, p := range s.Phones {
		it.Phones = append(it.Phones, phoneItem{Label: p.Label, Number: p.Number, ConfirmedAt: p.ConfirmedAt})
		it.ConfirmedAts = append(it.ConfirmedAts, p.ConfirmedAt)
	}
	for _, p := range s.Pupils {
		it.Pupils = append(it.Pupils, string(p))
	}
	if current {
		it.key, it.Type = contactsKey(s.School, s.Family), typeContacts
		it.GSI1PK, it.GSI1SK = familiesPK(s.School), s.Family+"#CONTACTS"
	} else {
		it.key, it.Type = contactsVersionKey(s.School, s.Family, s.Version), typeContactsVersion
	}
	return it
}

func contactsFromItem(it contactsItem) contact.ContactDetails {
	s := contact.ContactDetailsSnapshot{School: safeguarding.SchoolID(it.School), Family: it.Family,
		Address: contact.ContactAddress{Lines: it.Address.Lines, Postcode: it.Address.Postcode},
		Version: it.Version, ChangedAt: it.ChangedAt, ChangedBy: it.ChangedBy, Reason: it.Reason, Changes: changesFromItem(it.Changes)}
	for _, p := range it.Phones {
		s.Phones = append(s.Phones, contact.ContactPhone{Label: p.Label, Number: p.Number, ConfirmedAt: p.ConfirmedAt})
	}
	for _, p := range it.Pupils {
		s.Pupils = append(s.Pupils, safeguarding.PupilID(p))
	}
	return contact.RestoreContactDetails(s)
}

// noContactDetails are the details of a family that has none recorded yet (version 0).
func noContactDetails(school safeguarding.SchoolID, family string) contact.ContactDetails {
	return contact.RestoreContactDetails(contact.ContactDetailsSnapshot{School: school, Family: family})
}

// ContactDetails reads a family's current contact details (Version 0 when none are recorded).
// It reads, nothing more: callers that show them to a person go through ContactView, which the
// use case audits (rule P3).
func (s *Store) ContactDetails(ctx context.Context, school safeguarding.SchoolID, family string) (contact.ContactDetails, error) {
	var it contactsItem
	ok, err := s.getItem(ctx, contactsKey(school, family), &it, true)
	if err != nil || !ok {
		return noContactDetails(school, family), err
	}
	return contactsFromItem(it), nil
}

// PutContactDetails saves contact details as they are, with their version item, for seeding
// and imports (never a person's command).
func (s *Store) PutContactDetails(ctx context.Context, c contact.ContactDetails) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: marshal(contactsToItem(c, true))}},
		{Put: &types.Put{TableName: &s.table, Item: marshal(contactsToItem(c, false))}},
	}})
	return wrap("put contact details", err)
}

// ContactDetailsVersion reads one version of a family's contact details (Version 0 when there
// is no such version).
func (s *Store) ContactDetailsVersion(ctx context.Context, school safeguarding.SchoolID, family string, version int) (contact.ContactDetails, error) {
	var it contactsItem
	ok, err := s.getItem(ctx, contactsVersionKey(school, family, version), &it, true)
	if err != nil || !ok {
		return noContactDetails(school, family), err
	}
	return contactsFromItem(it), nil
}

// ContactDetailsVersions reads every version of a family's contact details, oldest first.
func (s *Store) ContactDetailsVersions(ctx context.Context, school safeguarding.SchoolID, family string) ([]contact.ContactDetails, error) {
	var out []contact.ContactDetails
	err := s.queryPartition(ctx, contactsPK(school, family), func(typ string, item map[string]types.AttributeValue) error {
		if typ != typeContactsVersion {
			return nil
		}
		var it contactsItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out = append(out, contactsFromItem(it))
		return nil
	})
	return out, err
}

// SaveContactDetails commits a new version in one transaction: the current item moves on on
// the condition that its version is still the one read (ErrConflict), the version item is
// added beside every earlier one (never overwritten: rule P4), with the audit entry and the
// idempotency record.
func (s *Store) SaveContactDetails(ctx context.Context, w contact.ContactDetailsWrite) error {
	c := w.Details
	items, requestAt := s.commandItems(w.Request, nil, w.Audit, nil, w.Audit.At)
	items = append(items, contactsPuts(s.table, c)...)
	err := s.transact(ctx, items, requestAt)
	if errors.Is(err, safeguarding.ErrConflict) {
		return fmt.Errorf("contact details of %s were changed by someone else: %w", c.Family(), safeguarding.ErrConflict)
	}
	return err
}

// ContactFamilies reads every family of a school with the summary of its contact details, for
// the H1 report: one Query of GSI1 (paged), projected to counts and dates, so no number or
// address is ever read (rule P3).
func (s *Store) ContactFamilies(ctx context.Context, school safeguarding.SchoolID) ([]contact.ContactCheck, error) {
	var out []contact.ContactCheck
	at := map[string]int{}
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI1"),
		KeyConditionExpression: aws.String("GSI1PK = :pk"),
		ProjectionExpression:   aws.String("#type, #id, #school, #children, #family, #count, #confirmed, #address, #version"),
		ExpressionAttributeNames: map[string]string{"#type": "type", "#id": "id", "#school": "school", "#children": "children",
			"#family": "family", "#count": "phoneCount", "#confirmed": "confirmedAts", "#address": "hasAddress", "#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(familiesPK(school))},
	})
	row := func(id string) *contact.ContactCheck {
		i, ok := at[id]
		if !ok {
			i = len(out)
			at[id] = i
			out = append(out, contact.ContactCheck{Family: contact.RestoreFamily(contact.FamilySnapshot{ID: id, School: school})})
		}
		return &out[i]
	}
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("contact families", err)
		}
		for _, item := range page.Items {
			var it struct {
				Type         string      `dynamodbav:"type"`
				ID           string      `dynamodbav:"id"`
				Children     []childItem `dynamodbav:"children"`
				Family       string      `dynamodbav:"family"`
				PhoneCount   int         `dynamodbav:"phoneCount"`
				ConfirmedAts []time.Time `dynamodbav:"confirmedAts"`
				HasAddress   bool        `dynamodbav:"hasAddress"`
				Version      int         `dynamodbav:"version"`
			}
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			switch it.Type {
			case typeFamily:
				r := row(it.ID)
				f := r.Family.Snapshot()
				for _, c := range it.Children {
					f.Children = append(f.Children, contact.FamilyChild{Pupil: safeguarding.PupilID(c.Pupil), ClassName: c.ClassName})
				}
				r.Family = contact.RestoreFamily(f)
			case typeContacts:
				r := row(it.Family)
				r.HasDetails, r.Numbers, r.Confirmed, r.HasAddress, r.Version = true, it.PhoneCount, it.ConfirmedAts, it.HasAddress, it.Version
			}
		}
	}
	return out, nil
}

type closureContactEventItem struct {
	At     time.Time `dynamodbav:"at"`
	By     string    `dynamodbav:"by"`
	Active bool      `dynamodbav:"active"`
	Reason string    `dynamodbav:"reason,omitempty"`
}

type closureContactItem struct {
	key
	Type    string                    `dynamodbav:"type"`
	School  string                    `dynamodbav:"school"`
	Email   string                    `dynamodbav:"email"`
	Active  bool                      `dynamodbav:"active"`
	History []closureContactEventItem `dynamodbav:"history"`
	Version int                       `dynamodbav:"version"`
}

func closureContactToItem(c contact.ClosureContact) closureContactItem {
	it := closureContactItem{key: closureContactKey(c.School, c.Email), Type: typeClosureContact, School: string(c.School),
		Email: c.Email, Active: c.Active, Version: c.Version, History: []closureContactEventItem{}}
	for _, h := range c.History {
		it.History = append(it.History, closureContactEventItem{At: h.At, By: h.By, Active: h.Active, Reason: h.Reason})
	}
	return it
}

func closureContactFromItem(it closureContactItem) contact.ClosureContact {
	c := contact.ClosureContact{School: safeguarding.SchoolID(it.School), Email: it.Email, Active: it.Active, Version: it.Version}
	for _, h := range it.History {
		c.History = append(c.History, contact.ClosureContactEvent{At: h.At, By: h.By, Active: h.Active, Reason: h.Reason})
	}
	return c
}

// ClosureContacts lists a school's designations for closure contact, current and ended (one
// Query of the school's partition, begins_with).
func (s *Store) ClosureContacts(ctx context.Context, school safeguarding.SchoolID) ([]contact.ClosureContact, error) {
	var out []contact.ClosureContact
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :cc)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str("SCHOOL#" + string(school)), ":cc": str("CLOSURECONTACT#"),
		},
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("closure contacts", err)
		}
		for _, item := range page.Items {
			var it closureContactItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			out = append(out, closureContactFromItem(it))
		}
	}
	return out, nil
}

// PutClosureContact saves a designation as it is, for seeding (never a person's command),
// with its copy on the person's profile.
func (s *Store) PutClosureContact(ctx context.Context, c contact.ClosureContact) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: marshal(closureContactToItem(c))}},
		{Update: s.profileClosureContact(c)},
	}})
	return wrap("put closure contact", err)
}

// profileClosureContact copies a designation onto the person's profile (adds or removes the
// school in its closureContact set), so the Principal every page reads carries it. The
// profile must exist: a designation never makes one.
func (s *Store) profileClosureContact(c contact.ClosureContact) *types.Update {
	expr := "DELETE closureContact :school"
	if c.Active {
		expr = "ADD closureContact :school"
	}
	return &types.Update{
		TableName:                 &s.table,
		Key:                       userKey(c.Email).av(),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":school": &types.AttributeValueMemberSS{Value: []string{string(c.School)}}},
	}
}

// SaveClosureContact commits a designation's change with its audit entry and idempotency
// record, on the condition that its version is still the one read (ErrConflict).
func (s *Store) SaveClosureContact(ctx context.Context, c contact.ClosureContact, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error {
	items, requestAt := s.commandItems(req, nil, audit, nil, audit.At)
	put := &types.Put{TableName: &s.table, Item: marshal(closureContactToItem(c))}
	if c.Version == 1 {
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		put.ConditionExpression = aws.String("version = :prev")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": num(c.Version - 1)}
	}
	items = append(items, types.TransactWriteItem{Put: put}, types.TransactWriteItem{Update: s.profileClosureContact(c)})
	err := s.transact(ctx, items, requestAt)
	if errors.Is(err, safeguarding.ErrConflict) {
		return fmt.Errorf("designation of a member of staff was changed by someone else: %w", safeguarding.ErrConflict)
	}
	return err
}

var _ contact.ContactsStore = (*Store)(nil)

// ClosureContact reads one person's designation for closure contact (inactive when none).
func (s *Store) ClosureContact(ctx context.Context, school safeguarding.SchoolID, email string) (contact.ClosureContact, error) {
	var it closureContactItem
	ok, err := s.getItem(ctx, closureContactKey(school, email), &it, true)
	if err != nil || !ok {
		return contact.ClosureContact{School: school, Email: email}, err
	}
	return closureContactFromItem(it), nil
}

// LoadContactView reads the viewer, their designation, the school, the family, its contact
// details and what the viewer opened in the hour of at, in one BatchGetItem (A1, A42, A2,
// A23, A40, A43).
func (s *Store) LoadContactView(ctx context.Context, viewer string, school safeguarding.SchoolID, family string, at time.Time) (contact.ContactView, error) {
	var v contact.ContactView
	if !validFamilyID(family) {
		return v, fmt.Errorf("family %q: %w", family, safeguarding.ErrNotFound)
	}
	var cc closureContactItem
	var sc schoolItem
	var f familyItem
	var c contactsItem
	var o openingsItem
	b := newBatch().viewer(viewer, &v.Viewer).item(closureContactKey(school, viewer), &cc).item(schoolKey(school), &sc).
		item(familyKey(school, family), &f).item(contactsKey(school, family), &c).item(openingsKey(school, viewer, at), &o)
	if err := s.load(ctx, b); err != nil {
		return v, err
	}
	v.Designated = cc.Active
	v.School = schoolFromItem(sc)
	if f.ID != "" {
		v.Family = familyFromItem(f)
	}
	v.Details = noContactDetails(school, family)
	if c.Type != "" {
		v.Details = contactsFromItem(c)
	}
	v.Openings = openingsFromItem(o, family)
	return v, nil
}

// LoadContactEdit reads the editor, the family, its current contact details and any earlier
// request with the same key in one BatchGetItem.
func (s *Store) LoadContactEdit(ctx context.Context, viewer string, school safeguarding.SchoolID, family string, rk safeguarding.RequestKey) (contact.ContactEdit, error) {
	var e contact.ContactEdit
	if !validFamilyID(family) {
		return e, fmt.Errorf("family %q: %w", family, safeguarding.ErrNotFound)
	}
	var f familyItem
	var c contactsItem
	b := newBatch().viewer(viewer, &e.Viewer).item(familyKey(school, family), &f).item(contactsKey(school, family), &c).prior(rk, &e.Prior)
	if err := s.load(ctx, b); err != nil {
		return e, err
	}
	if f.ID != "" {
		e.Family = familyFromItem(f)
	}
	e.Details = noContactDetails(school, family)
	if c.Type != "" {
		e.Details = contactsFromItem(c)
	}
	return e, nil
}

// LoadDesignation reads the DSL, the member of staff, their designation and any earlier
// request with the same key in one BatchGetItem.
func (s *Store) LoadDesignation(ctx context.Context, viewer string, school safeguarding.SchoolID, staff string, rk safeguarding.RequestKey) (contact.DesignationEdit, error) {
	var e contact.DesignationEdit
	var st userItem
	var cc closureContactItem
	b := newBatch().viewer(viewer, &e.Viewer).item(userKey(staff), &st).item(closureContactKey(school, staff), &cc).prior(rk, &e.Prior)
	if err := s.load(ctx, b); err != nil {
		return e, err
	}
	if st.Email != "" {
		e.Staff = userFromItem(st)
	}
	e.Current = contact.ClosureContact{School: school, Email: staff}
	if cc.Type != "" {
		e.Current = closureContactFromItem(cc)
	}
	return e, nil
}

// validFamilyID refuses ids that could address another kind of item.
func validFamilyID(id string) bool {
	return id != "" && len(id) <= 100 && !strings.ContainsAny(id, "#\x00")
}

const typeFamilyAction = "family-action"

// familyActionItem is an action agreed with a family on a call (rule H3), under the family,
// with the deadline engine's due attributes so the engine of rule D8 walks it up the ladder.
type familyActionItem struct {
	key
	Type        string     `dynamodbav:"type"`
	ID          string     `dynamodbav:"id"`
	School      string     `dynamodbav:"school"`
	Family      string     `dynamodbav:"family"`
	Reference   string     `dynamodbav:"reference"`
	Description string     `dynamodbav:"description"`
	Assignee    string     `dynamodbav:"assignee"`
	Status      string     `dynamodbav:"status"`
	Outcome     string     `dynamodbav:"outcome,omitempty"`
	CreatedAt   time.Time  `dynamodbav:"createdAt"`
	CreatedBy   string     `dynamodbav:"createdBy"`
	CompletedAt *time.Time `dynamodbav:"completedAt,omitempty"`
	CompletedBy string     `dynamodbav:"completedBy,omitempty"`
	Version     int        `dynamodbav:"version"`
	dueAttrs
}

func familyActionKey(school safeguarding.SchoolID, family, id string) key {
	return key{PK: familyPK(school, family), SK: "ACTION#" + id}
}

func familyActionToItem(a contact.FamilyAction) familyActionItem {
	return familyActionItem{key: familyActionKey(a.School, a.Family, a.ID), Type: typeFamilyAction, ID: a.ID, School: string(a.School),
		Family: a.Family, Reference: a.Reference, Description: a.Description, Assignee: a.Assignee, Status: string(a.Status),
		Outcome: a.Outcome, CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy, CompletedAt: timePtr(a.CompletedAt),
		CompletedBy: a.CompletedBy, Version: a.Version, dueAttrs: dueToAttrs(a.DueItem())}
}

func familyActionFromItem(it familyActionItem) contact.FamilyAction {
	return contact.FamilyAction{ID: it.ID, School: safeguarding.SchoolID(it.School), Family: it.Family, Reference: it.Reference,
		Description: it.Description, Assignee: it.Assignee, Status: safeguarding.ActionStatus(it.Status), Outcome: it.Outcome,
		CreatedAt: it.CreatedAt, CreatedBy: it.CreatedBy, CompletedAt: timeOf(it.CompletedAt), CompletedBy: it.CompletedBy,
		Version: it.Version, Due: safeguarding.DueState{DueAt: it.DueAt, Step: it.DueStep, NextAt: it.DueNextAt, Active: it.DueActive}}
}

// FamilyActions lists the actions agreed with a family, oldest first (one Query of the
// family's partition, begins_with).
func (s *Store) FamilyActions(ctx context.Context, school safeguarding.SchoolID, family string) ([]contact.FamilyAction, error) {
	if !validFamilyID(family) {
		return nil, fmt.Errorf("family %q: %w", family, safeguarding.ErrNotFound)
	}
	var out []contact.FamilyAction
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :a)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(familyPK(school, family)), ":a": str("ACTION#"),
		},
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("family actions", err)
		}
		for _, item := range page.Items {
			var it familyActionItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			out = append(out, familyActionFromItem(it))
		}
	}
	return out, nil
}

// LoadFamilyAction reads the viewer, one action agreed with a family and any earlier request
// with the same key in one BatchGetItem.
func (s *Store) LoadFamilyAction(ctx context.Context, viewer string, school safeguarding.SchoolID, family, id string, rk safeguarding.RequestKey) (contact.FamilyActionEdit, error) {
	var e contact.FamilyActionEdit
	if !validFamilyID(family) {
		return e, fmt.Errorf("family %q: %w", family, safeguarding.ErrNotFound)
	}
	var a familyActionItem
	if err := s.load(ctx, newBatch().viewer(viewer, &e.Viewer).item(familyActionKey(school, family, id), &a).prior(rk, &e.Prior)); err != nil {
		return e, err
	}
	if !e.Viewer.IsMember(school) {
		return e, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	if a.Type == typeFamilyAction {
		e.Action = familyActionFromItem(a)
	}
	return e, nil
}

// SaveFamilyActionChange saves a completed action on the condition that its version is still
// the one read (ErrConflict); the deadline engine's step attributes are left alone and the
// action leaves the due index.
func (s *Store) SaveFamilyActionChange(ctx context.Context, a contact.FamilyAction, prevVersion int, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error {
	it := familyActionToItem(a)
	items, requestAt := s.commandItems(req, nil, audit, nil, audit.At)
	vals := map[string]types.AttributeValue{
		":status": str(it.Status), ":outcome": str(it.Outcome), ":by": str(it.CompletedBy), ":version": num(it.Version),
		":prev": num(prevVersion), ":active": &types.AttributeValueMemberBOOL{Value: it.DueActive},
	}
	set := "SET #status = :status, outcome = :outcome, completedBy = :by, version = :version, dueActive = :active"
	if it.CompletedAt != nil {
		at, err := marshalValue(*it.CompletedAt)
		if err != nil {
			return err
		}
		vals[":at"] = at
		set += ", completedAt = :at"
	}
	if !it.DueActive {
		set += " REMOVE GSI2PK, GSI2SK"
	}
	items = append(items, types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: it.key.av(),
		UpdateExpression:          aws.String(set),
		ConditionExpression:       aws.String("version = :prev"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: vals,
	}})
	err := s.transact(ctx, items, requestAt)
	if errors.Is(err, safeguarding.ErrConflict) {
		return fmt.Errorf("action %s was changed by someone else: %w", a.ID, safeguarding.ErrConflict)
	}
	return err
}
