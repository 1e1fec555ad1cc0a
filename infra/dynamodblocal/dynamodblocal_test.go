package dynamodblocal

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type entry struct {
	name string
	typ  byte
	body string
}

func writeTgz(t *testing.T, entries []entry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == tar.TypeSymlink {
			h.Linkname, h.Size = "/etc/passwd", 0
		}
		if e.typ == tar.TypeDir {
			h.Mode, h.Size = 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "p.tgz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExtract(t *testing.T) {
	tgz := writeTgz(t, []entry{
		{name: "package/README.md", typ: tar.TypeReg, body: "not wanted"},
		{name: "package/emulator/", typ: tar.TypeDir},
		{name: "package/emulator/DynamoDBLocal.jar", typ: tar.TypeReg, body: "jar"},
		{name: "package/emulator/DynamoDBLocal_lib/a.so", typ: tar.TypeReg, body: "so"},
	})
	dest := filepath.Join(t.TempDir(), "out")
	if err := extract(tgz, archivePrefix, dest); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"DynamoDBLocal.jar": "jar", "DynamoDBLocal_lib/a.so": "so"} {
		b, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v", name, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "README.md")); err == nil {
		t.Error("extracted a file outside the prefix")
	}
}

func TestExtractRefusesTraversalAndLinks(t *testing.T) {
	for _, bad := range []entry{
		{name: "package/emulator/../../escape.txt", typ: tar.TypeReg, body: "x"},
		{name: "package/emulator/../escape.txt", typ: tar.TypeReg, body: "x"},
		{name: "package/emulator/link", typ: tar.TypeSymlink},
	} {
		tgz := writeTgz(t, []entry{bad})
		root := t.TempDir()
		dest := filepath.Join(root, "a", "b")
		if err := extract(tgz, archivePrefix, dest); err == nil {
			t.Errorf("%s: extracted", bad.name)
		}
		if _, err := os.Stat(filepath.Join(root, "escape.txt")); err == nil {
			t.Errorf("%s: wrote outside the target", bad.name)
		}
		if _, err := os.Stat(filepath.Join(root, "a", "escape.txt")); err == nil {
			t.Errorf("%s: wrote outside the target", bad.name)
		}
	}
}

func TestVerify(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := verify(p, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); err != nil {
		t.Errorf("verify(abc) = %v", err)
	}
	if err := verify(p, PackageSHA256); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("verify with the wrong sum = %v", err)
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv("KEEPSAFE_CACHE", "/somewhere/else")
	if got := CacheDir(); got != "/somewhere/else" {
		t.Errorf("CacheDir with KEEPSAFE_CACHE = %s", got)
	}
	t.Setenv("KEEPSAFE_CACHE", "")
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if got := CacheDir(); got != filepath.Join(root, ".cache") {
		t.Errorf("CacheDir = %s, want %s", got, filepath.Join(root, ".cache"))
	}
}

// ensure fetches DynamoDB Local once for the tests below; several calls at once must agree.
func ensure(t *testing.T) string {
	t.Helper()
	var wg sync.WaitGroup
	dirs := make([]string, 3)
	errs := make([]error, 3)
	for i := range dirs {
		wg.Go(func() { dirs[i], errs[i] = Ensure(CacheDir()) })
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if dirs[i] != dirs[0] {
			t.Fatalf("Ensure returned %s and %s", dirs[0], dirs[i])
		}
	}
	return dirs[0]
}

func TestStartInMemoryAndCreateTable(t *testing.T) {
	ctx := context.Background()
	srv, err := Start(ctx, Options{Dir: ensure(t), InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if !strings.HasPrefix(srv.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %s", srv.Endpoint)
	}
	client := NewClient(srv.Endpoint)
	if err := CreateTable(ctx, client, "keepsafe"); err != nil {
		t.Fatal(err)
	}
	def, err := TableDef()
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("keepsafe")})
	if err != nil {
		t.Fatal(err)
	}
	tbl := out.Table
	if tbl.TableStatus != types.TableStatusActive {
		t.Errorf("status = %s", tbl.TableStatus)
	}
	if len(tbl.GlobalSecondaryIndexes) != len(def.GlobalSecondaryIndexes) {
		t.Errorf("GSIs = %d, want %d", len(tbl.GlobalSecondaryIndexes), len(def.GlobalSecondaryIndexes))
	}
	if def.StreamViewType != "" && (tbl.StreamSpecification == nil || string(tbl.StreamSpecification.StreamViewType) != def.StreamViewType) {
		t.Errorf("stream = %+v", tbl.StreamSpecification)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("keepsafe")})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != def.TTLAttribute ||
		(d.TimeToLiveStatus != types.TimeToLiveStatusEnabled && d.TimeToLiveStatus != types.TimeToLiveStatusEnabling) {
		t.Errorf("TTL = %+v", d)
	}

	// A scratch table is the same table without its stream.
	if err := CreateScratchTable(ctx, client, "scratch"); err != nil {
		t.Fatal(err)
	}
	scratch, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("scratch")})
	if err != nil {
		t.Fatal(err)
	}
	if s := scratch.Table.StreamSpecification; (s != nil && aws.ToBool(s.StreamEnabled)) || len(scratch.Table.GlobalSecondaryIndexes) != len(def.GlobalSecondaryIndexes) {
		t.Errorf("scratch table: stream %+v, %d GSIs", s, len(scratch.Table.GlobalSecondaryIndexes))
	}

	// A real write and read through the client, checksums and all.
	item := map[string]types.AttributeValue{
		def.Key("HASH"):  &types.AttributeValueMemberS{Value: "SCHOOL#1"},
		def.Key("RANGE"): &types.AttributeValueMemberS{Value: "CONCERN#1"},
		"details":        &types.AttributeValueMemberS{Value: strings.Repeat("é", 5000)},
	}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("keepsafe"), Item: item}); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("keepsafe"), Key: map[string]types.AttributeValue{
		def.Key("HASH"): item[def.Key("HASH")], def.Key("RANGE"): item[def.Key("RANGE")],
	}})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.Item["details"].(*types.AttributeValueMemberS); !ok || v.Value != strings.Repeat("é", 5000) {
		t.Errorf("item = %v", got.Item)
	}

	srv.Stop()
	srv.Stop() // twice is fine
	if _, err := NewClient(srv.Endpoint, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }).
		ListTables(ctx, &dynamodb.ListTablesInput{}); err == nil {
		t.Error("server still answers after Stop")
	}
}

func TestStartWithDBPathPersists(t *testing.T) {
	ctx := context.Background()
	dir := ensure(t)
	db := filepath.Join(t.TempDir(), "db")
	srv, err := Start(ctx, Options{Dir: dir, DBPath: db})
	if err != nil {
		t.Fatal(err)
	}
	// Two clients with different credentials see one database (-sharedDb).
	if err := CreateTable(ctx, NewClient(srv.Endpoint), "persisted"); err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	srv.Stop()

	srv, err = Start(ctx, Options{Dir: dir, DBPath: db})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	other := NewClient(srv.Endpoint, func(o *dynamodb.Options) { o.Region = "us-east-1" })
	out, err := other.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TableNames) != 1 || out.TableNames[0] != "persisted" {
		t.Errorf("tables after restart = %v", out.TableNames)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start(context.Background(), Options{Dir: t.TempDir(), InMemory: true}); err == nil {
		t.Error("Start without a jar succeeded")
	}
	if _, err := Start(context.Background(), Options{Dir: ensure(t)}); err == nil {
		t.Error("Start without InMemory or DBPath succeeded")
	}
}
