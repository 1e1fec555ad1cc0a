package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
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
	Type         string      `dynamodbav:"type"`
	GSI1PK       string      `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK       string      `dynamodbav:"GSI1SK,omitempty"`
	School       string      `dynamodbav:"school"`
	Family       string      `dynamodbav:"family"`
	Phones       []phoneItem `dynamodbav:"phones"`
	Address      addressItem `dynamodbav:"address"`
	Pupils       []string    `dynamodbav:"pupils"`
	PhoneCount   int         `dynamodbav:"phoneCount"`
	ConfirmedAts []time.Time `dynamodbav:"confirmedAts"`
	HasAddress   bool        `dynamodbav:"hasAddress"`
	Version      int         `dynamodbav:"version"`
	ChangedAt    time.Time   `dynamodbav:"changedAt"`
	ChangedBy    string      `dynamodbav:"changedBy"`
	Reason       string      `dynamodbav:"reason"`
}

func contactsToItem(c safeguarding.ContactDetails, current bool) contactsItem {
	it := contactsItem{School: string(c.School), Family: c.Family, Phones: []phoneItem{}, Pupils: []string{},
		Address:    addressItem{Lines: append([]string{}, c.Address.Lines...), Postcode: c.Address.Postcode},
		PhoneCount: len(c.Phones), ConfirmedAts: []time.Time{}, HasAddress: !c.Address.IsZero(),
		Version: c.Version, ChangedAt: c.ChangedAt, ChangedBy: c.ChangedBy, Reason: c.Reason}
	for _, p := range c.Phones {
		it.Phones = append(it.Phones, phoneItem{Label: p.Label, Number: p.Number, ConfirmedAt: p.ConfirmedAt})
		it.ConfirmedAts = append(it.ConfirmedAts, p.ConfirmedAt)
	}
	for _, p := range c.Pupils {
		it.Pupils = append(it.Pupils, string(p))
	}
	if current {
		it.key, it.Type = contactsKey(c.School, c.Family), typeContacts
		it.GSI1PK, it.GSI1SK = familiesPK(c.School), c.Family+"#CONTACTS"
	} else {
		it.key, it.Type = contactsVersionKey(c.School, c.Family, c.Version), typeContactsVersion
	}
	return it
}

func contactsFromItem(it contactsItem) safeguarding.ContactDetails {
	c := safeguarding.ContactDetails{School: safeguarding.SchoolID(it.School), Family: it.Family,
		Address: safeguarding.ContactAddress{Lines: it.Address.Lines, Postcode: it.Address.Postcode},
		Version: it.Version, ChangedAt: it.ChangedAt, ChangedBy: it.ChangedBy, Reason: it.Reason}
	for _, p := range it.Phones {
		c.Phones = append(c.Phones, safeguarding.ContactPhone{Label: p.Label, Number: p.Number, ConfirmedAt: p.ConfirmedAt})
	}
	for _, p := range it.Pupils {
		c.Pupils = append(c.Pupils, safeguarding.PupilID(p))
	}
	return c
}

// ContactDetails reads a family's current contact details (Version 0 when none are recorded).
// It reads, nothing more: callers that show them to a person go through ContactView, which the
// use case audits (rule P3).
func (s *Store) ContactDetails(ctx context.Context, school safeguarding.SchoolID, family string) (safeguarding.ContactDetails, error) {
	var it contactsItem
	ok, err := s.getItem(ctx, contactsKey(school, family), &it, true)
	if err != nil || !ok {
		return safeguarding.ContactDetails{School: school, Family: family}, err
	}
	return contactsFromItem(it), nil
}

// PutContactDetails saves contact details as they are, with their version item, for seeding
// and imports (never a person's command).
func (s *Store) PutContactDetails(ctx context.Context, c safeguarding.ContactDetails) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: marshal(contactsToItem(c, true))}},
		{Put: &types.Put{TableName: &s.table, Item: marshal(contactsToItem(c, false))}},
	}})
	return wrap("put contact details", err)
}

// ContactDetailsVersions reads every version of a family's contact details, oldest first.
func (s *Store) ContactDetailsVersions(ctx context.Context, school safeguarding.SchoolID, family string) ([]safeguarding.ContactDetails, error) {
	var out []safeguarding.ContactDetails
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
func (s *Store) SaveContactDetails(ctx context.Context, w safeguarding.ContactDetailsWrite) error {
	c := w.Details
	items, requestAt := s.commandItems(w.Request, nil, w.Audit, nil, w.Audit.At)
	cur := &types.Put{TableName: &s.table, Item: marshal(contactsToItem(c, true))}
	if c.Version == 1 {
		cur.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		cur.ConditionExpression = aws.String("version = :prev")
		cur.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": num(c.Version - 1)}
	}
	items = append(items, types.TransactWriteItem{Put: cur},
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(contactsToItem(c, false)),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	err := s.transact(ctx, items, requestAt)
	if errors.Is(err, safeguarding.ErrConflict) {
		return fmt.Errorf("contact details of %s were changed by someone else: %w", c.Family, safeguarding.ErrConflict)
	}
	return err
}

// ContactFamilies reads every family of a school with the summary of its contact details, for
// the H1 report: one Query of GSI1 (paged), projected to counts and dates, so no number or
// address is ever read (rule P3).
func (s *Store) ContactFamilies(ctx context.Context, school safeguarding.SchoolID) ([]safeguarding.ContactCheck, error) {
	var out []safeguarding.ContactCheck
	at := map[string]int{}
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI1"),
		KeyConditionExpression: aws.String("GSI1PK = :pk"),
		ProjectionExpression:   aws.String("#type, #id, #school, #children, #family, #count, #confirmed, #address, #version"),
		ExpressionAttributeNames: map[string]string{"#type": "type", "#id": "id", "#school": "school", "#children": "children",
			"#family": "family", "#count": "phoneCount", "#confirmed": "confirmedAts", "#address": "hasAddress", "#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(familiesPK(school))},
	})
	row := func(id string) *safeguarding.ContactCheck {
		i, ok := at[id]
		if !ok {
			i = len(out)
			at[id] = i
			out = append(out, safeguarding.ContactCheck{Family: safeguarding.Family{ID: id, School: school}})
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
				for _, c := range it.Children {
					r.Family.Children = append(r.Family.Children, safeguarding.FamilyChild{Pupil: safeguarding.PupilID(c.Pupil), ClassName: c.ClassName})
				}
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

func closureContactToItem(c safeguarding.ClosureContact) closureContactItem {
	it := closureContactItem{key: closureContactKey(c.School, c.Email), Type: typeClosureContact, School: string(c.School),
		Email: c.Email, Active: c.Active, Version: c.Version, History: []closureContactEventItem{}}
	for _, h := range c.History {
		it.History = append(it.History, closureContactEventItem{At: h.At, By: h.By, Active: h.Active, Reason: h.Reason})
	}
	return it
}

func closureContactFromItem(it closureContactItem) safeguarding.ClosureContact {
	c := safeguarding.ClosureContact{School: safeguarding.SchoolID(it.School), Email: it.Email, Active: it.Active, Version: it.Version}
	for _, h := range it.History {
		c.History = append(c.History, safeguarding.ClosureContactEvent{At: h.At, By: h.By, Active: h.Active, Reason: h.Reason})
	}
	return c
}

// ClosureContacts lists a school's designations for closure contact, current and ended (one
// Query of the school's partition, begins_with).
func (s *Store) ClosureContacts(ctx context.Context, school safeguarding.SchoolID) ([]safeguarding.ClosureContact, error) {
	var out []safeguarding.ClosureContact
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

// PutClosureContact saves a designation as it is, for seeding (never a person's command).
func (s *Store) PutClosureContact(ctx context.Context, c safeguarding.ClosureContact) error {
	_, err := s.db.PutItem(ctx, putInput(s.table, closureContactToItem(c)))
	return wrap("put closure contact", err)
}

// SaveClosureContact commits a designation's change with its audit entry and idempotency
// record, on the condition that its version is still the one read (ErrConflict).
func (s *Store) SaveClosureContact(ctx context.Context, c safeguarding.ClosureContact, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error {
	items, requestAt := s.commandItems(req, nil, audit, nil, audit.At)
	put := &types.Put{TableName: &s.table, Item: marshal(closureContactToItem(c))}
	if c.Version == 1 {
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		put.ConditionExpression = aws.String("version = :prev")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": num(c.Version - 1)}
	}
	items = append(items, types.TransactWriteItem{Put: put})
	err := s.transact(ctx, items, requestAt)
	if errors.Is(err, safeguarding.ErrConflict) {
		return fmt.Errorf("designation of a member of staff was changed by someone else: %w", safeguarding.ErrConflict)
	}
	return err
}
