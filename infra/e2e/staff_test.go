package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// deliveredTo reads which subscriptions each alert reached, by the alert's id.
func deliveredTo(t *testing.T) map[string][]map[string]any {
	t.Helper()
	resp, err := http.Get(product(t) + "/dev/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []struct {
		ID          string           `json:"id"`
		DeliveredTo []map[string]any `json:"deliveredTo"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]any{}
	for _, a := range list {
		out[a.ID] = a.DeliveredTo
	}
	return out
}

// highPriorityConcern has the teacher record a high-priority concern; it returns its reference.
func highPriorityConcern(t *testing.T, key string) string {
	t.Helper()
	rec := mustCall(t, 201, "POST", concernsURL(t), token(t, teacher), map[string]any{
		"pupilIds": []string{"bl-01"}, "category": "safeguarding", "subcategories": []string{"physical-related"},
		"highPriority": true, "observedAt": "2026-11-24T09:00:00Z", "details": "Chidi Okafor had a bruise on his arm.",
	}, "Idempotency-Key", key)
	return rec["reference"].(string)
}

// Rules P1, S4, S8 through the local stack: the Senior DSL adds a DSL (an account in the local
// identity provider, their subject on their profile, on the alert roster), who signs in and
// then receives a concern's alert by SMS and email; a role change takes effect at the
// person's next request; the office is refused when it tries to make someone a DSL; the DSL
// leaves, and then receives no alert, their web session is refused and they can no longer sign
// in.
func TestRule_P1_S4_S8_StaffAddedChangedAndLeavingThroughTheLocalStack(t *testing.T) {
	base := product(t)
	pinClock(t, local("2026-11-24 09:30"))
	staffURL := base + "/api/schools/brook-lane/staff"
	const newDSL, newStaff = "nina.okafor@brook-lane.example", "tariq.ali@brook-lane.example"
	office := seed.Email("Grace", "Bennett")

	mustCall(t, 403, "POST", staffURL, token(t, office), map[string]any{"name": "Nina Okafor", "email": newDSL, "roles": []string{"dsl"}})
	added := mustCall(t, 201, "POST", staffURL, token(t, head), map[string]any{
		"name": "Nina Okafor", "email": newDSL, "mobile": "07700 900456", "roles": []string{"dsl", "staff"}}, "Idempotency-Key", "e2e-staff-add")
	if added["person"] != seed.Subject(newDSL) {
		t.Fatalf("added %v: person is the account's subject", added)
	}
	settle(t, 20e9)

	// She signs in through the local identity provider and reads the school's audit trail, as a DSL.
	session := signIn(t, base, newDSL)
	mustCall(t, 200, "GET", base+"/api/schools/brook-lane/audit", token(t, newDSL), nil)

	ref := highPriorityConcern(t, "e2e-staff-concern-1")
	got := waitAlerts(t, 2, func(a alert) bool { return a.Attributes["reference"] == ref && a.Attributes["recipient"] == newDSL })
	delivered := deliveredTo(t)
	channels := map[string]bool{}
	for _, a := range got {
		channels[a.Attributes["channel"]] = true
		if len(delivered[a.ID]) == 0 {
			t.Errorf("the alert by %s reached no subscription", a.Attributes["channel"])
		}
	}
	if !channels["sms"] || !channels["email"] {
		t.Errorf("the new DSL got %v, want SMS and email", channels)
	}

	// A role change takes effect at the next request.
	office2 := mustCall(t, 201, "POST", staffURL, token(t, office), map[string]any{"name": "Tariq Ali", "email": newStaff, "roles": []string{"teacher"}})
	auditURL := base + "/api/schools/brook-lane/audit"
	mustCall(t, 403, "GET", auditURL, token(t, newStaff), nil)
	person := office2["person"].(string)
	mustCall(t, 403, "PATCH", staffURL+"/"+person, token(t, office), map[string]any{"roles": []string{"teacher", "dsl"}})
	mustCall(t, 200, "PATCH", staffURL+"/"+person, token(t, head), map[string]any{"roles": []string{"teacher", "dsl"}})
	mustCall(t, 200, "GET", auditURL, token(t, newStaff), nil)
	mustCall(t, 200, "PATCH", staffURL+"/"+person, token(t, head), map[string]any{"leaving": true})

	// She leaves: her alerts stop the same day, her session is refused, she cannot sign in.
	mustCall(t, 200, "PATCH", staffURL+"/"+seed.Subject(newDSL), token(t, head), map[string]any{"leaving": true}, "Idempotency-Key", "e2e-staff-leave")
	settle(t, 20e9)
	ref = highPriorityConcern(t, "e2e-staff-concern-2")
	if got := waitAlerts(t, 1, func(a alert) bool { return a.Attributes["reference"] == ref && a.Attributes["recipient"] == newDSL }); len(got) != 0 {
		t.Errorf("the leaver was alerted: %v", got)
	}
	if got := waitAlerts(t, 2, func(a alert) bool { return a.Attributes["reference"] == ref && a.Attributes["recipient"] == dsl }); len(got) != 2 {
		t.Errorf("the DSL who stays got %d alerts, want 2", len(got))
	}
	home, err := send("GET", base+"/schools/brook-lane/work", nil, "Cookie", session.cookie)
	if err != nil || home.status != http.StatusSeeOther || !strings.HasPrefix(home.header.Get("Location"), "/sign-in") {
		t.Errorf("the leaver's web session: %d to %q %v, want sent to sign in", home.status, home.header.Get("Location"), err)
	}
	form := url.Values{"email": {newDSL}, "client_id": {"keepsafe-local"}, "response_type": {"code"}, "state": {"s"},
		"code_challenge_method": {"S256"}, "code_challenge": {"c"}, "redirect_uri": {base + "/auth/callback"}}
	again, err := send("POST", base+"/dev/sign-in", strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	if err != nil || again.status != http.StatusForbidden {
		t.Errorf("the leaver signs in: %d %v, want refused", again.status, err)
	}
	mustCall(t, 403, "GET", auditURL, token(t, newDSL), nil)
}
