package main

import (
	"context"
	"encoding/json"
	"fmt"
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
	w, h, arrived := uploadWorld(t)
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
	putAndWait(t, up["uploadUrl"].(string), export, arrived)
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

// uploadWorld is a world whose imports function has a local bucket: a file PUT to a signed URL
// is handed to the function as S3's notification would, and the function's answer is sent on
// arrived.
func uploadWorld(t *testing.T) (*world, *handler, chan error) {
	t.Helper()
	w := newWorld(t)
	root, err := filepath.Abs("../..")
	apitest.Must(t, err)
	arrived := make(chan error, 4)
	h := &handler{}
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
	*h = handler{imports: imports.Imports{Store: w.st, NewID: store.NewID}, signer: signer, files: bucketFiles{client: client, bucket: "uploads"}}
	return w, h, arrived
}

// putAndWait sends a file to its signed URL and waits for the function to have handled it.
func putAndWait(t *testing.T, url, file string, arrived chan error) {
	t.Helper()
	req, _ := http.NewRequest("PUT", url, strings.NewReader(file))
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
}

// Rule P1, a larger file checked first: its preview through the bucket writes nothing; the
// same file sent again as "checked" is imported with the preview's choices; another file sent
// as the checked one, or a file that is not an export, ends the import as failed, saying why,
// and writes nothing.
func TestRule_P1_ALargerFileIsCheckedThenTheSameFileImported(t *testing.T) {
	w, h, arrived := uploadWorld(t)
	ask := func(body string) map[string]any {
		t.Helper()
		resp := apitest.Serve(t, h.serve, api.Event("POST", "/api/schools/brook-lane/imports/uploads", apitest.Grace, body, at("10:00"), nil))
		up := apitest.Object(t, resp)
		if resp.StatusCode != 201 {
			t.Fatalf("upload request %s: %d %v", body, resp.StatusCode, up)
		}
		return up
	}
	read := func(id string) map[string]any {
		t.Helper()
		resp := apitest.Serve(t, h.serve, api.Event("GET", "/api/schools/brook-lane/imports/"+id, apitest.Grace, "", at("10:05"), nil))
		return apitest.Object(t, resp)
	}
	preview := ask(`{"size": ` + jsonInt(len(export)) + `, "preview": true}`)
	putAndWait(t, preview["uploadUrl"].(string), export, arrived)
	if got := read(preview["id"].(string)); got["status"] != "done" || got["applied"] != false || got["created"] != 3.0 || w.items("roll") != 0 {
		t.Fatalf("the preview: %v, %d on the roll", got, w.items("roll"))
	}
	other := strings.Replace(export, "Ava", "Eve", 1)
	wrong := ask(`{"size": ` + jsonInt(len(other)) + `, "checked": "` + preview["id"].(string) + `"}`)
	putAndWait(t, wrong["uploadUrl"].(string), other, arrived)
	if got := read(wrong["id"].(string)); got["status"] != "failed" || got["applied"] != false || !strings.Contains(fmt.Sprint(got["errors"]), "not the file that was checked") || w.items("roll") != 0 {
		t.Fatalf("another file as the checked one: %v, %d on the roll", got, w.items("roll"))
	}
	same := ask(`{"size": ` + jsonInt(len(export)) + `, "checked": "` + preview["id"].(string) + `"}`)
	putAndWait(t, same["uploadUrl"].(string), export, arrived)
	if got := read(same["id"].(string)); got["status"] != "done" || got["applied"] != true || got["created"] != 3.0 || w.items("roll") != 3 {
		t.Fatalf("the checked file: %v, %d on the roll", got, w.items("roll"))
	}
	notCSV := "<?xml version=\"1.0\"?><CTfile></CTfile>"
	xml := ask(`{"size": ` + jsonInt(len(notCSV)) + `}`)
	putAndWait(t, xml["uploadUrl"].(string), notCSV, arrived)
	if got := read(xml["id"].(string)); got["status"] != "failed" || !strings.Contains(fmt.Sprint(got["errors"]), "CSV") {
		t.Fatalf("a file that is not an export: %v", got)
	}
	if resp := apitest.Serve(t, h.serve, api.Event("POST", "/api/schools/brook-lane/imports/uploads", apitest.Grace,
		`{"size": 10, "checked": "`+same["id"].(string)+`"}`, at("10:00"), nil)); resp.StatusCode != 400 || !apitest.NamesField(apitest.Object(t, resp), "checked") {
		t.Errorf("an import that was no preview, as the checked file: %d", resp.StatusCode)
	}
}
