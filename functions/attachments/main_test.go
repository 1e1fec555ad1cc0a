package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/bucket"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

const (
	brook      = "brook-lane"
	hill       = "hillcrest"
	teacher    = "t.jones@brook.example"
	colleague  = "a.patel@brook.example"
	dsl        = "d.okafor@brook.example"
	hillDSL    = "o.dsl@hill.example"
	bucketName = "attachments-test"
	concernID  = "01JCONCERNBROOK00000000001"
)

// world is a fresh table with two schools and a concern, a real local S3 (s3rver behind the
// signature check), and the handler over both. Every object S3 reports as created goes to the
// handler as Lambda would deliver it; checked receives each result.
type world struct {
	t       *testing.T
	db      *dynamodb.Client
	table   string
	s3      *s3.Client
	h       handler
	checked chan error
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	ctx := context.Background()
	w := &world{t: t, db: db, table: table, checked: make(chan error, 8)}
	root, err := filepath.Abs("../..")
	must(t, err)
	local, err := stack.StartS3(ctx, stack.S3Options{Root: root, Buckets: []string{bucketName},
		Credentials: map[string]string{"test": "test-secret"},
		OnObjectCreated: func(ctx context.Context, ev events.S3Event) {
			raw, _ := json.Marshal(ev)
			_, err := w.h.Handle(ctx, raw)
			w.checked <- err
		}})
	must(t, err)
	t.Cleanup(local.Close)
	w.s3 = s3.New(s3.Options{Region: "eu-west-2", BaseEndpoint: aws.String(local.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test-secret", "")})
	uploads, err := bucket.New(aws.Config{Region: "eu-west-2",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test-secret", "")}, bucketName, local.Endpoint)
	must(t, err)
	w.h = newHandler(st, w.s3, uploads, bucketName)

	staff := map[string][]safeguarding.Role{
		teacher: {safeguarding.RoleStaff, safeguarding.RoleTeacher}, colleague: {safeguarding.RoleStaff},
		dsl: {safeguarding.RoleStaff, safeguarding.RoleDSL},
	}
	school := apitest.School(t, st, safeguarding.School{ID: brook, Name: "Brook Lane Primary"}, staff)
	must(t, st.PutSchool(ctx, safeguarding.School{ID: hill, Name: "Hillcrest Juniors"}))
	must(t, st.PutUser(ctx, safeguarding.Principal{Email: hillDSL, Name: "Omar", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{hill: {safeguarding.RoleStaff, safeguarding.RoleDSL}}}))
	pupil := safeguarding.Pupil{ID: "p1", School: brook, Name: "Ava Brown"}
	must(t, st.PutPupil(ctx, pupil))
	recorded := at("09:30")
	c, err := concerns.RecordConcern(concernID, concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"p1"}, Category: "wellbeing",
		ObservedAt: recorded.Add(-time.Hour), Details: "Ava was upset at break."}, safeguarding.Principal{Email: teacher, Memberships: map[safeguarding.SchoolID][]safeguarding.Role{brook: staff[teacher]}},
		school, map[safeguarding.PupilID]safeguarding.Pupil{"p1": pupil}, concerns.PolicyCatalogue(), safeguarding.Weekdays{}, recorded)
	must(t, err)
	must(t, st.SaveConcern(ctx, concerns.ConcernWrite{Concern: c, Entries: concerns.ConcernEntries(c),
		Audit: safeguarding.AuditEntry{ID: "seed", School: brook, Actor: teacher, Action: concerns.AuditConcernRecorded, At: recorded}}))
	return w
}

var (
	must = apitest.Must
	at   = apitest.At // a school-local time on Monday 23 November 2026
	// event is the API Gateway event of a request to one of the function's routes.
	event = apitest.For("attachments").Event
)

// do sends an API request through Handle as Lambda would, with the event's JSON.
func (w *world) do(req httpapi.Request) (httpapi.Response, map[string]any) {
	w.t.Helper()
	resp := apitest.Serve(w.t, w.handleJSON, req)
	return resp, apitest.JSON(w.t, resp)
}

// handleJSON hands the handler the event's JSON, as Lambda does: the function tells an API
// request from an S3 notification by reading it.
func (w *world) handleJSON(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	out, err := w.h.Handle(ctx, raw)
	if err != nil {
		return httpapi.Response{}, err
	}
	return out.(httpapi.Response), nil
}

func (w *world) request(email, school, concern, body string) (httpapi.Response, map[string]any) {
	return w.do(event("POST", "/api/schools/"+school+"/concerns/"+concern+"/attachments", email, body, at("10:00"), nil))
}

func (w *world) list(email, school, concern string) (httpapi.Response, map[string]any) {
	return w.do(event("GET", "/api/schools/"+school+"/concerns/"+concern+"/attachments", email, "", at("10:30"), nil))
}

func (w *world) open(email, school, concern, id string) (httpapi.Response, map[string]any) {
	return w.do(event("GET", "/api/schools/"+school+"/concerns/"+concern+"/attachments/"+id, email, "", at("11:00"), nil))
}

// download GETs a signed URL as a browser does.
func download(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp, b
}

// upload PUTs body to a presigned URL with a plain HTTP client, as a browser does.
func upload(t *testing.T, url, contentType string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, strings.NewReader(string(body)))
	must(t, err)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// waitChecked waits for the handler's check of the next arrived object.
func (w *world) waitChecked() {
	w.t.Helper()
	select {
	case err := <-w.checked:
		must(w.t, err)
	case <-time.After(10 * time.Second):
		w.t.Fatal("no S3 notification reached the handler")
	}
}

// objectExists asks the bucket for key.
func (w *world) objectExists(key string) bool {
	w.t.Helper()
	_, err := w.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucketName), Key: aws.String(key)})
	return err == nil
}

// items counts the test table's items by type.
func (w *world) items() map[string]int {
	w.t.Helper()
	return apitest.CountItems(w.t, w.db, w.table, nil)
}
