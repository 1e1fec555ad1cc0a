package store

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

const typeContactOpenings = "contact-openings"

// openingsItem is written only by UpdateItem (ADD to the set of families), never put whole.
type openingsItem struct {
	key
	Type      string   `dynamodbav:"type"`
	Families  []string `dynamodbav:"families,stringset,omitempty"`
	AlertedAt string   `dynamodbav:"alertedAt,omitempty"`
}

func openingsFromItem(it openingsItem, family string) contact.ContactOpenings {
	return contact.ContactOpenings{Families: len(it.Families), Counted: slices.Contains(it.Families, family), Alerted: it.AlertedAt != ""}
}

// SaveContactOpening commits one opening of a family's contact details in one transaction
// (rule P3): its audit entry (never over another, rule P4), the family added to the hour's
// set on the condition that the set is still short of the threshold (or already holds the
// family) when no reason was needed, and the Senior DSL's alerts with the hour marked
// alerted, on the condition that it was not yet. A failed condition is ErrConflict.
func (s *Store) SaveContactOpening(ctx context.Context, w contact.OpeningWrite) error {
	o := w.Opening
	items, _ := s.commandItems(nil, nil, w.Audit, w.Alerts, w.Audit.At)
	if !o.Count && !o.Alert {
		return s.transact(ctx, items, -1)
	}
	k := openingsKey(w.Audit.School, w.Audit.Actor, w.Hour)
	set := "SET #type = :type, school = :school, actor = :actor, expiresAt = :exp"
	vals := map[string]types.AttributeValue{
		":type": str(typeContactOpenings), ":school": str(string(w.Audit.School)), ":actor": str(w.Audit.Actor),
		":exp": &types.AttributeValueMemberN{Value: strconv.FormatInt(w.Hour.Add(openingsTTL).Unix(), 10)},
	}
	var conds []string
	if o.Alert {
		set += ", alertedAt = :at"
		vals[":at"] = str(stamp(w.Audit.At))
		conds = append(conds, "attribute_not_exists(alertedAt)")
	}
	if o.Count {
		set += " ADD families :f"
		vals[":f"] = &types.AttributeValueMemberSS{Value: []string{w.Family}}
		if !o.Beyond {
			vals[":one"], vals[":limit"] = str(w.Family), num(o.Limit)
			conds = append(conds, "(attribute_not_exists(families) OR size(families) < :limit OR contains(families, :one))")
		}
	}
	u := &types.Update{TableName: &s.table, Key: k.av(), UpdateExpression: aws.String(set),
		ExpressionAttributeNames: map[string]string{"#type": "type"}, ExpressionAttributeValues: vals}
	if len(conds) > 0 {
		u.ConditionExpression = aws.String(strings.Join(conds, " AND "))
	}
	return s.transact(ctx, append(items, types.TransactWriteItem{Update: u}), -1)
}
