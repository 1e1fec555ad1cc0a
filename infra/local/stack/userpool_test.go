package stack

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/userpool"
)

// The local identity provider answers the admin calls the staff pages make to Cognito through
// the real SDK client: an account made for a new member of staff with its subject (rule S8),
// made once however often it is asked, disabled and signed out for a leaver (P1), and enabled
// again when they come back. It keeps the accounts across a restart.
func TestRule_P1_S8_TheLocalUserPoolAnswersTheRealCognitoClient(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "userpool.json")
	pool, err := NewUserPool(seed.Demo().Users, file, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pool.mux())
	defer srv.Close()
	p := userpool.New(NewPoolClient(srv.URL+UserPoolPath), LocalUserPoolID)

	sub, err := p.Invite(ctx, "new.teacher@brook-lane.example", "Nia Teacher")
	if err != nil {
		t.Fatal(err)
	}
	if sub != seed.Subject("new.teacher@brook-lane.example") {
		t.Errorf("subject %q, want the account's own", sub)
	}
	if again, err := p.Invite(ctx, "new.teacher@brook-lane.example", "Nia Teacher"); err != nil || again != sub {
		t.Errorf("a second invitation gave %q, %v; want the same account", again, err)
	}
	if enabled, ok := pool.Enabled("new.teacher@brook-lane.example"); !enabled || !ok {
		t.Fatal("the new account is not enabled")
	}
	if err := p.Disable(ctx, "new.teacher@brook-lane.example"); err != nil {
		t.Fatal(err)
	}
	if enabled, _ := pool.Enabled("new.teacher@brook-lane.example"); enabled {
		t.Error("a leaver's account is still enabled")
	}
	if err := p.Disable(ctx, "nobody@brook-lane.example"); err != nil {
		t.Errorf("disabling an email without an account: %v", err)
	}
	kept, err := NewUserPool(nil, file, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if enabled, ok := kept.Enabled("new.teacher@brook-lane.example"); enabled || !ok {
		t.Errorf("after a restart the account is enabled=%v known=%v; want it kept, disabled", enabled, ok)
	}
	if _, err := p.Invite(ctx, "new.teacher@brook-lane.example", "Nia Teacher"); err != nil {
		t.Fatal(err)
	}
	if enabled, _ := pool.Enabled("new.teacher@brook-lane.example"); !enabled {
		t.Error("someone coming back is not enabled again")
	}
}
