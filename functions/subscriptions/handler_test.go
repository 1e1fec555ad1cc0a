package main

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

type fakeReconciler struct {
	calls []safeguarding.SchoolID
	fail  safeguarding.SchoolID
}

func (f *fakeReconciler) Reconcile(_ context.Context, s safeguarding.SchoolID) (alert.Summary, error) {
	f.calls = append(f.calls, s)
	if s == f.fail {
		return alert.Summary{}, errors.New("sns: throttled")
	}
	return alert.Summary{School: s}, nil
}

type fakeLeases struct {
	busy     safeguarding.SchoolID
	released []safeguarding.SchoolID
}

func (f *fakeLeases) LeaseAlertSubscriptions(_ context.Context, s safeguarding.SchoolID, _ string, _ time.Time, _ time.Duration) error {
	if s == f.busy {
		return store.ErrSubscriptionsBusy
	}
	return nil
}

func (f *fakeLeases) ReleaseAlertSubscriptions(_ context.Context, s safeguarding.SchoolID, _ string) error {
	f.released = append(f.released, s)
	return nil
}

func record(seq string, img map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{EventName: "MODIFY", Change: events.DynamoDBStreamRecord{SequenceNumber: seq, NewImage: img}}
}

func schoolImage(id string) map[string]events.DynamoDBAttributeValue {
	return map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute("school"), "id": events.NewStringAttribute(id)}
}

func userImage(schools ...string) map[string]events.DynamoDBAttributeValue {
	m := map[string]events.DynamoDBAttributeValue{}
	for _, s := range schools {
		m[s] = events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewStringAttribute("dsl")})
	}
	return map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute("user"),
		"email": events.NewStringAttribute("d@b.example"), "memberships": events.NewMapAttribute(m)}
}

// A roster change names its school, a profile change every school of the person; each school
// is reconciled once per batch, and a school that fails fails the records that named it.
func TestEachSchoolOfTheBatchIsReconciledOnceAndFailuresNameTheirRecords(t *testing.T) {
	rec := &fakeReconciler{fail: "hillcrest"}
	leases := &fakeLeases{busy: "oak-tree"}
	h := handler{reconciler: rec, leases: leases, now: time.Now}
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record("1", schoolImage("brook-lane")),
		record("2", userImage("brook-lane", "hillcrest")),
		record("3", userImage("brook-lane")),
		record("4", schoolImage("oak-tree")),
		record("5", map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute("outbox")}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.calls, []safeguarding.SchoolID{"brook-lane", "hillcrest"}) {
		t.Errorf("reconciled %v", rec.calls)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	// hillcrest failed (record 2); oak-tree is being reconciled by another invocation (4).
	if !slices.Equal(failed, []string{"2", "4"}) {
		t.Errorf("failures %v, want the sequence numbers of records 2 and 4", failed)
	}
	if !slices.Equal(leases.released, []safeguarding.SchoolID{"brook-lane", "hillcrest"}) {
		t.Errorf("released %v", leases.released)
	}
}

func TestSettings(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	if p, n, err := settings(env("ALERTS_TOPIC_PREFIX", "keepsafe-prod")); err != nil || p != "keepsafe-prod" || n != alert.DefaultPerTopic {
		t.Errorf("defaults: %q %d %v", p, n, err)
	}
	if p, n, err := settings(env("ALERTS_TOPIC_PREFIX", "keepsafe-local", "ALERTS_SUBSCRIPTIONS_PER_TOPIC", "3")); err != nil || p != "keepsafe-local" || n != 3 {
		t.Errorf("local: %q %d %v", p, n, err)
	}
	for _, bad := range []func(string) string{
		env(), env("ALERTS_TOPIC_PREFIX", "k", "ALERTS_SUBSCRIPTIONS_PER_TOPIC", "201"),
		env("ALERTS_TOPIC_PREFIX", "k", "ALERTS_SUBSCRIPTIONS_PER_TOPIC", "many"),
	} {
		if _, _, err := settings(bad); err == nil {
			t.Error("bad settings accepted")
		}
	}
}
