package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

const typeAttachment = "attachment"

var _ concerns.AttachmentStore = (*Store)(nil)

// attachmentKey files an attachment in its concern's partition (A30), so a request for school
// B can never address an attachment of school A.
func attachmentKey(s safeguarding.SchoolID, c safeguarding.ConcernID, id concerns.AttachmentID) key {
	return key{PK: concernKey(s, c).PK, SK: attachmentSKPrefix + string(id)}
}

const attachmentSKPrefix = "ATTACHMENT#"

type attachmentItem struct {
	key
	Type        string     `dynamodbav:"type"`
	ID          string     `dynamodbav:"id"`
	School      string     `dynamodbav:"school"`
	Concern     string     `dynamodbav:"concern"`
	FileName    string     `dynamodbav:"fileName"`
	ContentType string     `dynamodbav:"contentType"`
	Size        int64      `dynamodbav:"size"`
	Status      string     `dynamodbav:"status"`
	Reason      string     `dynamodbav:"reason,omitempty"`
	UploadedBy  string     `dynamodbav:"uploadedBy"`
	At          time.Time  `dynamodbav:"at"`
	CheckedAt   *time.Time `dynamodbav:"checkedAt,omitempty"`
	Version     string     `dynamodbav:"version,omitempty"`
}

func attachmentToItem(a concerns.Attachment) attachmentItem {
	s := a.Snapshot()
	return attachmentItem{key: attachmentKey(s.School, s.Concern, s.ID), Type: typeAttachment, ID: string(s.ID),
		School: string(s.School), Concern: string(s.Concern), FileName: s.FileName, ContentType: s.ContentType,
		Size: s.Size, Status: string(s.Status), Reason: s.Reason, UploadedBy: s.UploadedBy, At: s.At,
		CheckedAt: timePtr(s.CheckedAt), Version: s.Version}
}

func attachmentFromItem(it attachmentItem) concerns.Attachment {
	return concerns.RestoreAttachment(concerns.AttachmentSnapshot{
		ID: concerns.AttachmentID(it.ID), School: safeguarding.SchoolID(it.School), Concern: safeguarding.ConcernID(it.Concern),
		FileName: it.FileName, ContentType: it.ContentType, Size: it.Size, Status: concerns.AttachmentStatus(it.Status),
		Reason: it.Reason, UploadedBy: it.UploadedBy, At: it.At, CheckedAt: timeOf(it.CheckedAt), Version: it.Version})
}

// AttachmentTarget reads the viewer, the concern and the idempotency record in one
// BatchGetItem.
func (s *Store) AttachmentTarget(ctx context.Context, viewer string, school safeguarding.SchoolID, concern safeguarding.ConcernID, rk safeguarding.RequestKey) (concerns.AttachmentTarget, error) {
	var t concerns.AttachmentTarget
	var c concernItem
	if err := s.load(ctx, newBatch().viewer(viewer, &t.Viewer).item(concernKey(school, concern), &c).prior(rk, &t.Prior)); err != nil {
		return t, err
	}
	if !t.Viewer.IsMember(school) {
		return t, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	if c.ID == "" {
		return t, fmt.Errorf("concern %q: %w", concern, safeguarding.ErrNotFound)
	}
	t.Concern = concernFromItem(c)
	return t, nil
}

// SaveAttachment commits a pending attachment, its audit entry and its idempotency record in
// one TransactWriteItems, on the condition that the concern exists in this school's partition.
func (s *Store) SaveAttachment(ctx context.Context, w concerns.AttachmentWrite) error {
	a := w.Attachment
	items, requestAt := s.commandItems(w.Request, nil, w.Audit, nil, a.At())
	items = append(items,
		types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table,
			Key: concernKey(a.School(), a.Concern()).av(), ConditionExpression: aws.String("attribute_exists(PK)")}},
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(attachmentToItem(a)),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	)
	return s.transact(ctx, items, requestAt)
}

// Attachments reads the viewer and the concern (one BatchGetItem) and the concern's
// attachments (one Query of its partition, begins_with ATTACHMENT#), side by side.
func (s *Store) Attachments(ctx context.Context, viewer string, school safeguarding.SchoolID, concern safeguarding.ConcernID) (safeguarding.Principal, concerns.Concern, []concerns.Attachment, error) {
	var (
		p    safeguarding.Principal
		c    concerns.Concern
		list []concerns.Attachment
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		p, c, err = s.ConcernFor(gctx, viewer, school, concern)
		return err
	})
	g.Go(func() error {
		pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName:              &s.table,
			KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :prefix)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": str(concernKey(school, concern).PK), ":prefix": str(attachmentSKPrefix),
			},
		})
		for pager.HasMorePages() {
			out, err := pager.NextPage(gctx)
			if err != nil {
				return wrap("attachments", err)
			}
			for _, item := range out.Items {
				var it attachmentItem
				if err := unmarshal(item, &it); err != nil {
					return err
				}
				list = append(list, attachmentFromItem(it))
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return p, c, nil, err
	}
	return p, c, list, nil
}

// AttachmentFor reads the viewer, the concern and one of its attachments in one BatchGetItem.
func (s *Store) AttachmentFor(ctx context.Context, viewer string, school safeguarding.SchoolID, concern safeguarding.ConcernID, id concerns.AttachmentID) (safeguarding.Principal, concerns.Concern, concerns.Attachment, error) {
	var (
		p safeguarding.Principal
		c concerns.Concern
		a concerns.Attachment
	)
	found, err := s.batchGet(ctx, []key{userKey(viewer), concernKey(school, concern), attachmentKey(school, concern, id)})
	if err != nil {
		return p, c, a, err
	}
	var u userItem
	if err := unmarshalFound(found, userKey(viewer), &u); err != nil {
		return p, c, a, err
	}
	p = userFromItem(u)
	p.Email = viewer
	if !p.IsMember(school) {
		return p, c, a, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	var ci concernItem
	if err := unmarshalFound(found, concernKey(school, concern), &ci); err != nil {
		return p, c, a, err
	}
	var ai attachmentItem
	if err := unmarshalFound(found, attachmentKey(school, concern, id), &ai); err != nil {
		return p, c, a, err
	}
	if ci.ID == "" || ai.ID == "" {
		return p, c, a, fmt.Errorf("concern %q, attachment %q: %w", concern, id, safeguarding.ErrNotFound)
	}
	return p, concernFromItem(ci), attachmentFromItem(ai), nil
}

// Attachment reads one attachment (consistent: the verifier may run right after the write).
func (s *Store) Attachment(ctx context.Context, school safeguarding.SchoolID, concern safeguarding.ConcernID, id concerns.AttachmentID) (concerns.Attachment, error) {
	var it attachmentItem
	ok, err := s.getItem(ctx, attachmentKey(school, concern, id), &it, true)
	if err != nil {
		return concerns.Attachment{}, err
	}
	if !ok {
		return concerns.Attachment{}, fmt.Errorf("attachment %q: %w", id, safeguarding.ErrNotFound)
	}
	return attachmentFromItem(it), nil
}

// SaveCheck records the verdict on an arrived file with its audit entry in one transaction,
// on the condition that the attachment is still pending (ErrConflict otherwise).
func (s *Store) SaveCheck(ctx context.Context, a concerns.Attachment, audit safeguarding.AuditEntry) error {
	checked, _ := marshalValue(a.CheckedAt())
	items, _ := s.commandItems(nil, nil, audit, nil, audit.At)
	items = append(items, types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: attachmentKey(a.School(), a.Concern(), a.ID()).av(),
		UpdateExpression:         aws.String("SET #status = :status, reason = :reason, checkedAt = :checked, #version = :version"),
		ConditionExpression:      aws.String("#status = :pending"),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":status": str(string(a.Status())), ":reason": str(a.Reason()), ":checked": checked, ":version": str(a.Version()),
			":pending": str(string(concerns.AttachmentPending)),
		},
	}})
	err := s.transact(ctx, items, -1)
	if errors.Is(err, safeguarding.ErrConflict) {
		return fmt.Errorf("attachment %s was checked already: %w", a.ID(), safeguarding.ErrConflict)
	}
	return err
}
