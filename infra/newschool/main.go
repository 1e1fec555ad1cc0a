// Command newschool creates a school of the federation and its first Senior DSL, with their
// account in the user pool (an invitation by email: they choose a password and set up their
// authenticator app at first sign-in, rule S4; the account's subject goes on their profile,
// S8). From there the Senior DSL does everything else in the product: the staff page adds the
// office, the DSLs and the rest (rule P1).
//
// Against AWS (the stack's table and user pool; the credentials and region from the
// environment, as AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN):
//
//	go run ./infra/newschool -table keepsafe-prod -user-pool eu-west-2_AbCdEf \
//	  -school brook-lane -name "Brook Lane Primary" \
//	  -senior-dsl-email head@brooklane.sch.uk -senior-dsl-name "Helen Carter"
//
// Against the local stack that `make run` is running (its DynamoDB Local and its identity
// provider), add -local instead of -table and -user-pool.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
	"github.com/keepsafe-schools/keepsafe/shared/store"
	"github.com/keepsafe-schools/keepsafe/shared/userpool"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "newschool:", err)
		os.Exit(1)
	}
}

// School is what the command is asked to create.
type School struct {
	ID, Name                              string
	SeniorEmail, SeniorName, SeniorMobile string
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("newschool", flag.ContinueOnError)
	var in School
	fs.StringVar(&in.ID, "school", "", "the school's id in addresses: lower-case letters, digits and hyphens (brook-lane)")
	fs.StringVar(&in.Name, "name", "", "the school's name as staff see it")
	fs.StringVar(&in.SeniorEmail, "senior-dsl-email", "", "the Senior DSL's work email: their sign-in")
	fs.StringVar(&in.SeniorName, "senior-dsl-name", "", "the Senior DSL's full name")
	fs.StringVar(&in.SeniorMobile, "senior-dsl-mobile", "", "the Senior DSL's UK mobile for SMS alerts (optional)")
	table := fs.String("table", os.Getenv("TABLE_NAME"), "the stack's DynamoDB table (TABLE_NAME)")
	pool := fs.String("user-pool", os.Getenv("USER_POOL_ID"), "the stack's Cognito user pool id (USER_POOL_ID)")
	local := fs.Bool("local", false, "the local stack `make run` is running, instead of AWS")
	dataDir := fs.String("local-data", "", "the local stack's data folder (.cache/data beside template.yaml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var st *store.Store
	var accounts staff.Accounts
	if *local {
		e, err := stack.RunningEndpoints(*dataDir)
		if err != nil {
			return err
		}
		st = store.New(dynamodblocal.NewClient(e.DynamoDB), e.Table)
		accounts = userpool.New(stack.NewPoolClient(e.UserPool), e.UserPoolID)
	} else {
		if *table == "" || *pool == "" {
			return errors.New("give -table and -user-pool (or TABLE_NAME and USER_POOL_ID), or -local")
		}
		cfg, err := awsenv.Config()
		if err != nil {
			return err
		}
		st = store.New(store.NewClient(cfg), *table)
		accounts = userpool.New(userpool.NewClient(cfg), *pool)
	}
	subject, err := Create(ctx, st, accounts, in, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("School %s created. Its Senior DSL's account (subject %s) has been sent an invitation by email.\n", in.ID, subject)
	return nil
}

var schoolID = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// Create writes the school (its settings the defaults, its roster the Senior DSL), makes or
// enables the Senior DSL's account and records its subject on their profile, which keeps any
// roles they hold at other schools of the federation. A school that exists already is
// refused, and nothing is changed. It returns the Senior DSL's subject.
func Create(ctx context.Context, st *store.Store, accounts staff.Accounts, in School, now time.Time) (string, error) {
	var ps safeguarding.Problems
	if !schoolID.MatchString(in.ID) {
		ps.Add("school", "lower-case letters, digits and hyphens, 1 to 40 of them, like brook-lane")
	}
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	if in.Name == "" || len(in.Name) > 100 {
		ps.Add("name", "the school's name, at most 100 characters")
	}
	if err := ps.Err(); err != nil {
		return "", err
	}
	if _, err := st.School(ctx, safeguarding.SchoolID(in.ID)); err == nil {
		return "", fmt.Errorf("school %s exists already: its Senior DSL adds people on the staff page", in.ID)
	} else if !errors.Is(err, safeguarding.ErrNotFound) {
		return "", err
	}
	school := safeguarding.SchoolID(in.ID)
	n, err := staff.NewMember{Name: in.SeniorName, Email: in.SeniorEmail, Mobile: in.SeniorMobile,
		Roles: []safeguarding.Role{safeguarding.RoleSeniorDSL, safeguarding.RoleDSL, safeguarding.RoleStaff}}.Checked()
	if err != nil {
		return "", err
	}
	found, err := st.Profiles(ctx, []string{n.Email})
	if err != nil {
		return "", err
	}
	before, existed := found[n.Email]
	subject, err := accounts.Invite(ctx, n.Email, n.Name)
	if err != nil {
		return "", err
	}
	if existed && before.Subject != "" && before.Subject != subject {
		return "", errors.New("the user pool's account for this email is not the one on record")
	}
	after := before
	if !existed {
		before, after = safeguarding.Principal{}, safeguarding.Principal{Email: n.Email}
	}
	after.Subject, after.Name = subject, n.Name
	if n.Mobile != "" {
		after.Mobile = n.Mobile
	}
	after.Memberships = map[safeguarding.SchoolID][]safeguarding.Role{}
	for s, rs := range before.Memberships {
		after.Memberships[s] = rs
	}
	after.Memberships[school] = n.Roles
	if err := st.PutSchool(ctx, safeguarding.School{ID: school, Name: in.Name, EndOfDayMinutes: safeguarding.DefaultEndOfDayMinutes}); err != nil {
		return "", err
	}
	roster := []safeguarding.StaffMember{{Email: n.Email, Roles: n.Roles}}
	audit := safeguarding.AuditEntry{ID: store.NewID(now), School: school, Actor: "keepsafe-setup", Action: staff.AuditAdded,
		Subject: "person/" + subject, At: now, Source: "infra/newschool"}
	return subject, st.SaveStaff(ctx, staff.Change{School: school, People: []staff.PersonChange{{Before: before, After: after}}, RosterAfter: roster}, audit, nil)
}
