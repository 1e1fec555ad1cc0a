package stack

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/template"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// UserPoolPath is where the gateway serves the local user pool's admin API, for
// AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER.
const UserPoolPath = "/dev/cognito-idp"

// LocalUserPoolID is the user pool id the functions are given locally.
const LocalUserPoolID = "eu-west-2_local"

// UserPool is the local identity provider's accounts: the demo people's, and the ones an
// administrator makes through the same admin calls the product makes to Cognito
// (AdminCreateUser, AdminGetUser, AdminEnableUser, AdminDisableUser, AdminUserGlobalSignOut),
// answered in Cognito's JSON 1.1 protocol so that the real SDK client talks to it. A disabled
// account can no longer sign in (/dev/sign-in, /dev/oauth2/token). With a file, the accounts
// survive a restart.
type UserPool struct {
	mu       sync.Mutex
	accounts map[string]*poolAccount // by lower-cased email
	file     string
	now      func() time.Time
}

type poolAccount struct {
	Email    string    `json:"email"`
	Subject  string    `json:"sub"`
	Name     string    `json:"name"`
	Enabled  bool      `json:"enabled"`
	Created  time.Time `json:"created"`
	SignOuts int       `json:"signOuts,omitempty"`
	// Demo marks the seed's people, listed first on the sign-in page.
	Demo bool `json:"demo,omitempty"`
}

// NewUserPool holds the demo users' accounts and those kept in file ("" keeps none).
func NewUserPool(demo []safeguarding.Principal, file string, now func() time.Time) (*UserPool, error) {
	p := &UserPool{accounts: map[string]*poolAccount{}, file: file, now: now}
	for _, u := range demo {
		p.accounts[u.Email] = &poolAccount{Email: u.Email, Subject: seed.Subject(u.Email), Name: u.Name, Enabled: true, Demo: true}
	}
	if file == "" {
		return p, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	var kept []*poolAccount
	if err := json.Unmarshal(b, &kept); err != nil {
		return nil, errors.New("stack: the local user pool's file is unreadable (delete it to start again)")
	}
	for _, a := range kept {
		p.accounts[a.Email] = a
	}
	return p, nil
}

// save keeps the accounts in the file; the caller holds mu.
func (p *UserPool) save() error {
	if p.file == "" {
		return nil
	}
	list := p.list()
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.file), 0o700); err != nil {
		return err
	}
	return os.WriteFile(p.file, b, 0o600)
}

// list is every account, the demo people first, each group by name; the caller holds mu.
func (p *UserPool) list() []*poolAccount {
	out := make([]*poolAccount, 0, len(p.accounts))
	for _, a := range p.accounts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Demo != out[j].Demo {
			return out[i].Demo
		}
		return out[i].Email < out[j].Email
	})
	return out
}

// Enabled reports whether email has an account that may sign in; ok is false when it has none.
func (p *UserPool) Enabled(email string) (enabled, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[strings.ToLower(strings.TrimSpace(email))]
	if !ok {
		return false, false
	}
	return a.Enabled, true
}

// Accounts lists the accounts that may sign in (email and name), the demo people first.
func (p *UserPool) Accounts() []safeguarding.Principal {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []safeguarding.Principal
	for _, a := range p.list() {
		if a.Enabled {
			out = append(out, safeguarding.Principal{Email: a.Email, Name: a.Name, Subject: a.Subject})
		}
	}
	return out
}

type poolAttr struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type poolError struct {
	status int
	typ    string
	msg    string
}

func (p *UserPool) fail(w http.ResponseWriter, e poolError) {
	w.Header().Set("X-Amzn-ErrorType", e.typ)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(e.status)
	b, _ := json.Marshal(map[string]string{"__type": e.typ, "message": e.msg})
	_, _ = w.Write(b)
}

// mux serves the pool at UserPoolPath, as the gateway does.
func (p *UserPool) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.Handle(UserPoolPath, p)
	return m
}

// ServeHTTP answers one admin call: POST with X-Amz-Target
// AWSCognitoIdentityProviderService.<operation> and a JSON body.
func (p *UserPool) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		p.fail(w, poolError{http.StatusMethodNotAllowed, "InvalidParameterException", "POST only"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		p.fail(w, poolError{http.StatusBadRequest, "NotAuthorizedException", "the request is not signed"})
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
	if !ok {
		p.fail(w, poolError{http.StatusBadRequest, "InvalidParameterException", "no X-Amz-Target"})
		return
	}
	var in struct {
		UserPoolId     string
		Username       string
		UserAttributes []poolAttr
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		p.fail(w, poolError{http.StatusBadRequest, "InvalidParameterException", "the body is not JSON"})
		return
	}
	if in.UserPoolId == "" || in.Username == "" {
		p.fail(w, poolError{http.StatusBadRequest, "InvalidParameterException", "UserPoolId and Username are required"})
		return
	}
	email := strings.ToLower(strings.TrimSpace(in.Username))
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.accounts[email]
	if op != "AdminCreateUser" && a == nil {
		p.fail(w, poolError{http.StatusBadRequest, "UserNotFoundException", "User does not exist."})
		return
	}
	var out any = struct{}{}
	switch op {
	case "AdminCreateUser":
		if a != nil {
			p.fail(w, poolError{http.StatusBadRequest, "UsernameExistsException", "An account with the given email already exists."})
			return
		}
		attrs := map[string]string{}
		for _, at := range in.UserAttributes {
			attrs[at.Name] = at.Value
		}
		if _, ok := safeguarding.NormaliseEmail(email); !ok || attrs["email"] != email || attrs["email_verified"] != "true" {
			p.fail(w, poolError{http.StatusBadRequest, "InvalidParameterException", "the username and the email attribute must be the same email, verified"})
			return
		}
		a = &poolAccount{Email: email, Subject: seed.Subject(email), Name: attrs["name"], Enabled: true, Created: p.now().UTC()}
		p.accounts[email] = a
		out = map[string]any{"User": p.user(a, "Attributes")}
	case "AdminGetUser":
		out = p.user(a, "UserAttributes")
	case "AdminEnableUser":
		a.Enabled = true
	case "AdminDisableUser":
		a.Enabled = false
	case "AdminUserGlobalSignOut":
		a.SignOuts++
	default:
		p.fail(w, poolError{http.StatusBadRequest, "InvalidAction", "the local user pool does not answer " + op})
		return
	}
	if op != "AdminGetUser" {
		if err := p.save(); err != nil {
			p.fail(w, poolError{http.StatusInternalServerError, "InternalErrorException", "the local user pool could not keep the change"})
			return
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	b, _ := json.Marshal(out)
	_, _ = w.Write(b)
}

// user is an account as Cognito describes it; attrs names the attributes' field, which
// differs between AdminCreateUser and AdminGetUser.
func (p *UserPool) user(a *poolAccount, attrs string) map[string]any {
	status := "FORCE_CHANGE_PASSWORD"
	if a.Demo {
		status = "CONFIRMED"
	}
	return map[string]any{
		"Username": a.Subject, "Enabled": a.Enabled, "UserStatus": status,
		"UserCreateDate": float64(a.Created.Unix()), "UserLastModifiedDate": float64(a.Created.Unix()),
		attrs: []poolAttr{{"sub", a.Subject}, {"email", a.Email}, {"email_verified", "true"}, {"name", a.Name}},
	}
}

// NewPoolClient is a Cognito client for a local user pool served at endpoint (the stack's
// URL+UserPoolPath, or a test's server of a UserPool), with the stack's region and keys.
func NewPoolClient(endpoint string) *cip.Client {
	return cip.New(cip.Options{Region: Region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretKey, "")})
}

// Endpoints say where a running stack's DynamoDB and user pool answer, for the tools that
// administer it from outside (infra/newschool). Start keeps them in <DataDir>/endpoints.json.
type Endpoints struct {
	DynamoDB   string `json:"dynamodb"`
	Table      string `json:"table"`
	UserPool   string `json:"userPool"`
	UserPoolID string `json:"userPoolId"`
	// URL is the gateway's, SNS and SQS the local services' endpoints.
	URL string `json:"url,omitempty"`
	SNS string `json:"sns,omitempty"`
	SQS string `json:"sqs,omitempty"`
}

const endpointsFile = "endpoints.json"

func (s *Stack) writeEndpoints(dataDir string) error {
	b, err := json.Marshal(Endpoints{DynamoDB: s.DynamoDBEndpoint, Table: TableName, UserPool: s.URL + UserPoolPath, UserPoolID: LocalUserPoolID,
		URL: s.URL, SNS: s.SNSEndpoint, SQS: s.sqs.endpoint})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dataDir, endpointsFile), b, 0o600)
}

// RunningEndpoints reads the endpoints of the stack `make run` is running with dataDir, or,
// when dataDir is "", with its default data folder (.cache/data beside template.yaml).
func RunningEndpoints(dataDir string) (Endpoints, error) {
	if dataDir == "" {
		tpl, err := template.Find()
		if err != nil {
			return Endpoints{}, err
		}
		dataDir = filepath.Join(filepath.Dir(tpl), ".cache", "data")
	}
	return ReadEndpoints(dataDir)
}

// ReadEndpoints reads the endpoints of the stack running with dataDir.
func ReadEndpoints(dataDir string) (Endpoints, error) {
	var e Endpoints
	b, err := os.ReadFile(filepath.Join(dataDir, endpointsFile))
	if err != nil {
		return e, errors.New("stack: no local stack's endpoints in " + dataDir + ": start it with make run")
	}
	return e, json.Unmarshal(b, &e)
}
