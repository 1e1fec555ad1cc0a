package main

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

type reconciler interface {
	Reconcile(ctx context.Context, school safeguarding.SchoolID) (alert.Summary, error)
}

// leases keep one reconciler per school at a time.
type leases interface {
	LeaseAlertSubscriptions(ctx context.Context, school safeguarding.SchoolID, owner string, now time.Time, d time.Duration) error
	ReleaseAlertSubscriptions(ctx context.Context, school safeguarding.SchoolID, owner string) error
}

type handler struct {
	reconciler reconciler
	leases     leases
	// now is the wall clock, for leases only.
	now func() time.Time
}

// lease outlasts the function's Timeout in template.yaml, so a run that dies holding it
// blocks the school's next run for no longer than that.
const lease = 2 * time.Minute

// Handle reconciles each school the batch's records touch, once per batch however many
// records name it: a school item (its roster changed) names itself, a user item (a profile
// changed) names every school the person has roles in. A school that fails fails every
// record that named it, reported by sequence number, so Lambda retries from there and, after
// the retries of template.yaml, sends it to the dead-letter queue. Reconciling is idempotent,
// so a repeated delivery changes nothing.
func (h handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	bySchool := map[safeguarding.SchoolID][]int{}
	for i, rec := range ev.Records {
		for _, s := range schoolsOf(rec.Change.NewImage) {
			bySchool[s] = append(bySchool[s], i)
		}
	}
	schools := make([]safeguarding.SchoolID, 0, len(bySchool))
	for s := range bySchool {
		schools = append(schools, s)
	}
	sort.Slice(schools, func(i, j int) bool { return schools[i] < schools[j] })
	failed := map[int]bool{}
	for _, s := range schools {
		if err := h.reconcile(ctx, s); err != nil {
			slog.ErrorContext(ctx, "subscriptions not reconciled", "school", string(s), "error", err.Error())
			for _, i := range bySchool[s] {
				failed[i] = true
			}
		}
	}
	var resp events.DynamoDBEventResponse
	for i, rec := range ev.Records {
		if failed[i] {
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		}
	}
	return resp, nil
}

func (h handler) reconcile(ctx context.Context, school safeguarding.SchoolID) error {
	now := h.now()
	owner := store.NewID(now)
	if err := h.leases.LeaseAlertSubscriptions(ctx, school, owner, now, lease); err != nil {
		return err
	}
	defer func() {
		if err := h.leases.ReleaseAlertSubscriptions(context.WithoutCancel(ctx), school, owner); err != nil {
			slog.WarnContext(ctx, "subscriptions lease not released", "school", string(school), "error", err.Error())
		}
	}()
	sum, err := h.reconciler.Reconcile(ctx, school)
	// Counts only: the log names no person, address or number.
	slog.InfoContext(ctx, "subscriptions reconciled", "school", string(school), "subscribed", sum.Subscribed,
		"unsubscribed", sum.Unsubscribed, "updated", sum.Updated, "topics", sum.Topics, "endpoints", sum.Endpoints,
		"complete", err == nil)
	return err
}

// schoolsOf names the schools a stream record touches: a school item's own id, or the
// schools of a user item's memberships. Anything else (the stream filter should not let it
// through) touches none.
func schoolsOf(img map[string]events.DynamoDBAttributeValue) []safeguarding.SchoolID {
	typ, ok := img["type"]
	if !ok || typ.DataType() != events.DataTypeString {
		return nil
	}
	switch typ.String() {
	case "school":
		if id, ok := img["id"]; ok && id.DataType() == events.DataTypeString && id.String() != "" {
			return []safeguarding.SchoolID{safeguarding.SchoolID(id.String())}
		}
	case "user":
		m, ok := img["memberships"]
		if !ok || m.DataType() != events.DataTypeMap {
			return nil
		}
		var out []safeguarding.SchoolID
		for s := range m.Map() {
			if s != "" {
				out = append(out, safeguarding.SchoolID(s))
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	return nil
}
