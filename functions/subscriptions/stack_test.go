package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func post(t *testing.T, url, token string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %v", url, resp.StatusCode, err)
	}
	return out
}

// The whole product on the local stack, each function its real bootstrap: the demo data's
// people are subscribed through the table's stream, a high-priority concern's SMS reaches the
// DSL's and the Senior DSL's phones only (the local SNS's delivery records), and a DSL taken off
// the roster is unsubscribed and receives nothing after (rule C4).
func TestRule_C4_ThroughTheLocalStackSMSReachesOnlyTheDSLsPhonesAndALeaverNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local stack")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := stack.Start(ctx, stack.Config{InMemory: true, DisableScheduler: true, Template: "../../template.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	demo := seed.Demo()
	phones := map[string]string{} // mobile -> email
	want := 0
	for _, sc := range demo.Schools {
		for _, m := range sc.Roster {
			want++
			for _, u := range demo.Users {
				if u.Email == m.Email && u.Mobile != "" {
					phones[u.Mobile] = u.Email
					want++
				}
			}
		}
	}
	waitFor(t, "the demo people's subscriptions", func() bool { return len(s.Subscriptions()) == want })

	teacher, dsl, head := seed.Email("Tom", "Hughes"), seed.Email("Daniel", "Reyes"), seed.Email("Helen", "Carter")
	concern := func(key string) string {
		tok := post(t, s.URL+"/dev/token", "", map[string]string{"email": teacher})["token"].(string)
		return post(t, s.URL+"/api/schools/brook-lane/concerns", tok, map[string]any{
			"pupilIds": []string{"bl-01"}, "category": "safeguarding", "subcategories": []string{"physical-related"},
			"highPriority": true, "observedAt": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339), "details": "A bruise.",
		})["reference"].(string)
	}
	texted := func(ref string, n int) []string {
		var got []string
		waitFor(t, "the alerts", func() bool {
			got = nil
			count := 0
			for _, a := range s.Alerts() {
				if a.Attributes["reference"] != ref {
					continue
				}
				count++
				for _, d := range a.DeliveredTo {
					if d.Protocol == "sms" {
						got = append(got, phones[d.Endpoint])
					}
				}
			}
			return count >= n
		})
		slices.Sort(got)
		return got
	}
	if got := texted(concern("c4-stack-1"), 4); !slices.Equal(got, []string{dsl, head}) {
		t.Errorf("texted %v, want the DSL and the Senior DSL", got)
	}

	// The DSL leaves Brook Lane.
	st := store.New(s.DynamoDB(), s.TableName)
	sc, err := st.School(ctx, seed.BrookLane)
	if err != nil {
		t.Fatal(err)
	}
	sc.Roster = slices.DeleteFunc(sc.Roster, func(m safeguarding.StaffMember) bool { return m.Email == dsl })
	if err := st.PutSchool(ctx, sc); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the leaver's unsubscription", func() bool { return len(s.Subscriptions()) == want-2 })
	if got := texted(concern("c4-stack-2"), 2); !slices.Equal(got, []string{head}) {
		t.Errorf("texted %v after the DSL left, want the Senior DSL only", got)
	}
}
