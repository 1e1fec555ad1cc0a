package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/bucket"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Rule P1, a larger file: the office asks where to send it, PUTs it to the bucket with the
// signed URL (its size and type signed), and the import runs when S3 says it arrived, as the
// office, with the choices it made; a second notification of the same file changes nothing.
func TestRule_P1_ALargerFileIsUploadedToTheBucketAndImportedOnArrival(t *testing.T) {
	w := newWorld(t)
	root, err := filepath.Abs("../..")
	apitest.Must(t, err)
	arrived := make(chan error, 4)
	var h handler
	local, err := stack.StartS3(context.Background(), stack.S3Options{Root: root, Buckets: []string{"uploads"},
		Credentials: map[string]string{"test": "test-secret"},
		OnObjectCreated: func(ctx context.Context, ev events.S3Event) {
			raw, _ := json.Marshal(ev)
			_, err := h.Handle(ctx, raw)
			arrived <- err
		}})
	apitest.Must(t, err)
	t.Cleanup(local.Close)
	creds := credentials.NewStaticCredentialsProvider("test", "test-secret", "")
	signer, err := bucket.New(aws.Config{Region: "eu-west-2", Credentials: creds}, "uploads", local.Endpoint)
	apitest.Must(t, err)
	client := s3.New(s3.Options{Region: "eu-west-2", BaseEndpoint: aws.String(local.Endpoint), UsePathStyle: true, Credentials: creds})
	h = handler{imports: imports.Imports{Store: w.st, NewID: store.NewID}, signer: signer, files: bucketFiles{client: client, bucket: "uploads"}}

	for _, email := range []string{apitest.Daniel, apitest.Tom} {
		if resp := apitest.Serve(t, h.serve, api.Event("POST", "/api/schools/brook-lane/imports/uploads", email,
			`{"size": 100}`, at("10:00"), nil)); resp.StatusCode != 403 {
			t.Errorf("%s: %d", email, resp.StatusCode)
		}
	}
	if resp := apitest.Serve(t, h.serve, api.Event("POST", "/api/schools/brook-lane/imports/uploads", apitest.Grace,
		`{"size": 0}`, at("10:00"), nil)); resp.StatusCode != 400 || !apitest.NamesField(apitest.Object(t, resp), "size") {
		t.Errorf("no size: %d", resp.StatusCode)
	}
	resp := apitest.Serve(t, h.serve, api.Event("POST", "/api/schools/brook-lane/imports/uploads", apitest.Grace,
		`{"size": `+jsonInt(len(export))+`, "full": false}`, at("10:00"), nil))
	up := apitest.Object(t, resp)
	if resp.StatusCode != 201 || up["status"] != "running" || up["uploadUrl"] == "" {
		t.Fatalf("upload request: %d %v", resp.StatusCode, up)
	}
	req, _ := http.NewRequest("PUT", up["uploadUrl"].(string), strings.NewReader(export))
	req.Header.Set("Content-Type", "text/csv")
	put, err := http.DefaultClient.Do(req)
	apitest.Must(t, err)
	put.Body.Close()
	if put.StatusCode != 200 {
		t.Fatalf("PUT: %d", put.StatusCode)
	}
	select {
	case err := <-arrived:
		apitest.Must(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("the file's arrival was never handled")
	}
	read := apitest.Serve(t, h.serve, api.Event("GET", "/api/schools/brook-lane/imports/"+up["id"].(string), apitest.Grace, "", at("10:05"), nil))
	if body := apitest.Object(t, read); read.StatusCode != 200 || body["status"] != "done" || body["applied"] != true || body["created"] != 3.0 {
		t.Fatalf("the import: %d %v", read.StatusCode, body)
	}
	if w.items("roll") != 3 {
		t.Errorf("%d pupils on the roll", w.items("roll"))
	}
	// S3 may say twice that the file arrived: the second changes nothing.
	again, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{{EventTime: at("10:06"), S3: events.S3Entity{
		Bucket: events.S3Bucket{Name: "uploads"}, Object: events.S3Object{Key: imports.UploadKey("brook-lane", up["id"].(string))}}}}})
	before := len(apitest.Items(t, w.db, w.table))
	if _, err := h.Handle(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	if n := len(apitest.Items(t, w.db, w.table)); n != before {
		t.Errorf("a second notification wrote %d items", n-before)
	}
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }
