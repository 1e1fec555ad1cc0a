package functions

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// slowToStart are packages whose initialisation costs every cold start a measurable part of
// its time (GODEBUG=inittrace=1; BENCHMARKS.md has the start-up of each function), and what
// each function uses instead. The test reads what the Lambda builds link, not timings.
var slowToStart = map[string]string{
	"github.com/aws/aws-sdk-go-v2/config":           "shared/awsenv: the SDK's loader links the SSO, sign-in, STS and IMDS clients",
	"github.com/aws/aws-sdk-go-v2/service/sts":      "shared/awsenv",
	"github.com/aws/aws-sdk-go-v2/service/sso":      "shared/awsenv",
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds": "shared/awsenv",
	"time/tzdata":              "safeguarding.London, which reads the one zone it embeds",
	"github.com/oklog/ulid/v2": "store.NewID",
}

func TestNoFunctionLinksWhatIsSlowToStart(t *testing.T) {
	cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "-f", `{{.ImportPath}}`, "./...")
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := strings.Fields(string(out))
	if !slices.Contains(pkgs, "github.com/aws/aws-sdk-go-v2/service/dynamodb") {
		t.Fatalf("the listing of what the functions link has no DynamoDB client: %q", out)
	}
	for _, pkg := range pkgs {
		if instead, ok := slowToStart[pkg]; ok {
			t.Errorf("a function links %s; use %s", pkg, instead)
		}
	}
}

// The web function only signs upload URLs (shared/bucket) and so links no S3 client, which
// would add about 3 ms to its start-up.
func TestTheWebFunctionLinksNoS3Client(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "./web").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := strings.Fields(string(out))
	if !slices.Contains(pkgs, "github.com/keepsafe-schools/keepsafe/shared/bucket") {
		t.Fatalf("the web function's listing has no upload signer: %q", out)
	}
	if slices.Contains(pkgs, "github.com/aws/aws-sdk-go-v2/service/s3") {
		t.Error("the web function links the S3 client")
	}
}
