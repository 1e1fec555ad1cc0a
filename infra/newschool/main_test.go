package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
	"github.com/keepsafe-schools/keepsafe/shared/store"
	"github.com/keepsafe-schools/keepsafe/shared/userpool"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// Rules P1, S4, S8: the command creates a school of the federation from empty, against
// DynamoDB Local and the local identity provider (as `make run` runs them): the school, its
// Senior DSL with an account in the user pool whose subject is on their profile, on the
// school's alert roster. From there the Senior DSL adds the staff in the product. The same
// school again is refused and changes nothing.
func TestRule_P1_S4_S8_TheEmptySchoolCommandAgainstDynamoDBLocalAndTheLocalIdentityProvider(t *testing.T) {
	ctx := context.Background()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	pool, err := stack.NewUserPool(nil, "", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pool)
	defer srv.Close()
	dir := t.TempDir()
	b, _ := json.Marshal(stack.Endpoints{DynamoDB: aws.ToString(db.Options().BaseEndpoint), Table: table, UserPool: srv.URL, UserPoolID: stack.LocalUserPoolID})
	if err := os.WriteFile(filepath.Join(dir, "endpoints.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	const head = "head@oakfield.example"
	args := []string{"-local", "-local-data", dir, "-school", "oakfield", "-name", "Oakfield Primary",
		"-senior-dsl-email", "Head@Oakfield.example", "-senior-dsl-name", "Hana Webb", "-senior-dsl-mobile", "07700 900777"}
	if err := run(ctx, args); err != nil {
		t.Fatal(err)
	}
	school, err := st.School(ctx, "oakfield")
	if err != nil || school.Name != "Oakfield Primary" || len(school.Roster) != 1 || !school.Roster[0].Has(safeguarding.RoleSeniorDSL) {
		t.Fatalf("school %+v %v", school, err)
	}
	p, err := st.Principal(ctx, head)
	if err != nil || p.Subject != seed.Subject(head) || !p.Has("oakfield", safeguarding.RoleSeniorDSL) || p.Mobile != "+447700900777" {
		t.Fatalf("the Senior DSL's profile %+v %v", p, err)
	}
	if enabled, ok := pool.Enabled(head); !enabled || !ok {
		t.Error("no account in the user pool")
	}
	if err := run(ctx, args); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("the same school again: %v, want it refused", err)
	}
	// From here, the product: the Senior DSL adds a DSL on the staff page.
	svc := staff.Service{Store: st, Accounts: userpool.New(stack.NewPoolClient(srv.URL), stack.LocalUserPoolID), NewID: store.NewID}
	who := safeguarding.Caller{Email: head, At: time.Now()}
	m, err := svc.Add(ctx, who, "oakfield", staff.NewMember{Name: "Ola Ade", Email: "ola@oakfield.example", Roles: []safeguarding.Role{safeguarding.RoleDSL}}, safeguarding.RequestKey{}, "")
	if err != nil || m.Person == "" {
		t.Fatalf("the Senior DSL adds a DSL: %+v %v", m, err)
	}
	if err := run(ctx, []string{"-local", "-local-data", dir, "-school", "Bad School!", "-name", "x", "-senior-dsl-email", "a@b.example", "-senior-dsl-name", "A"}); err == nil {
		t.Error("a school id that is not one was taken")
	}
}
