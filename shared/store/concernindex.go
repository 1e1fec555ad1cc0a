package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Index items of a concern, beside it in its partition and written in its transaction: they
// carry no content, only where the concern sits in a list (GSI1, by the time it was recorded).
const (
	// typeConcernTag lists a concern for one member of staff it tagged (A111).
	typeConcernTag = "concern-tag"
	// typeConcernAboutStaff lists a concern about a member of staff for governors (A112).
	typeConcernAboutStaff = "concern-about-staff"
)

// concernTagKey is a concern's index item for one tagged member of staff.
func concernTagKey(s safeguarding.SchoolID, id safeguarding.ConcernID, email string) key {
	return key{PK: concernKey(s, id).PK, SK: "TAG#" + email}
}

// concernAboutStaffKey is the index item of a concern about a member of staff.
func concernAboutStaffKey(s safeguarding.SchoolID, id safeguarding.ConcernID) key {
	return key{PK: concernKey(s, id).PK, SK: "ABOUTSTAFF"}
}

// concernsTaggedPK lists the concerns one person was tagged in, by time (GSI1, A111).
func concernsTaggedPK(s safeguarding.SchoolID, email string) string {
	return "SCHOOL#" + string(s) + "#TAGGED#" + email
}

// concernsAboutStaffPK lists a school's concerns about a member of staff, by time (GSI1, A112).
func concernsAboutStaffPK(s safeguarding.SchoolID) string {
	return "SCHOOL#" + string(s) + "#ABOUTSTAFF"
}

type concernIndexItem struct {
	key
	Type    string `dynamodbav:"type"`
	GSI1PK  string `dynamodbav:"GSI1PK"`
	GSI1SK  string `dynamodbav:"GSI1SK"`
	School  string `dynamodbav:"school"`
	Concern string `dynamodbav:"concern"`
}

// concernIndexItems are a new concern's index items: one per member of staff it is listed
// for as tagged, one when it is about a member of staff (Concern.IndexItems of them).
func concernIndexItems(c concerns.Concern) []concernIndexItem {
	sk := concerns.PositionOf(c)
	var items []concernIndexItem
	for _, e := range c.TaggedIndexed() {
		items = append(items, concernIndexItem{key: concernTagKey(c.School(), c.ID(), e), Type: typeConcernTag,
			GSI1PK: concernsTaggedPK(c.School(), e), GSI1SK: sk, School: string(c.School()), Concern: string(c.ID())})
	}
	if c.AboutStaff() {
		items = append(items, concernIndexItem{key: concernAboutStaffKey(c.School(), c.ID()), Type: typeConcernAboutStaff,
			GSI1PK: concernsAboutStaffPK(c.School()), GSI1SK: sk, School: string(c.School()), Concern: string(c.ID())})
	}
	return items
}

// concernIndexPuts are the conditional puts of a new concern's index items.
func (s *Store) concernIndexPuts(c concerns.Concern) []types.TransactWriteItem {
	var items []types.TransactWriteItem
	for _, it := range concernIndexItems(c) {
		items = append(items, s.putNew(it))
	}
	return items
}

// indexStartKey is the key a Query of an index list starts after: the index item of the
// concern id at the position sk, in this school's list.
func indexStartKey(school safeguarding.SchoolID, r concerns.ConcernRange, id safeguarding.ConcernID, pk, sk string) map[string]types.AttributeValue {
	k := concernAboutStaffKey(school, id)
	if r.List == concerns.ListTagged {
		k = concernTagKey(school, id, r.Author)
	}
	start := k.av()
	start["GSI1PK"], start["GSI1SK"] = str(pk), str(sk)
	return start
}

// indexedConcerns reads the concerns an index list's Query gave (one BatchGetItem of at most
// 100), in its order, with the filters the Query could not apply: high priority and the
// category are the concern's own, which an amendment may change.
func (s *Store) indexedConcerns(ctx context.Context, school safeguarding.SchoolID, r concerns.ConcernRange, out *dynamodb.QueryOutput) ([]concerns.Concern, error) {
	keys := make([]key, 0, len(out.Items))
	for _, item := range out.Items {
		var it concernIndexItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		if it.School != string(school) {
			continue
		}
		keys = append(keys, concernKey(school, safeguarding.ConcernID(it.Concern)))
	}
	if len(keys) == 0 {
		return nil, nil
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	var list []concerns.Concern
	for _, k := range keys {
		var it concernItem
		if item, ok := found[k.PK+"|"+k.SK]; !ok {
			continue
		} else if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		if (r.HighPriority && !it.HighPriority) || (r.Category != "" && it.Category != string(r.Category)) {
			continue
		}
		list = append(list, concernFromItem(it))
	}
	return list, nil
}
