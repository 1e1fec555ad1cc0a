package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// build compiles a Lambda bootstrap the way `make build` does.
func build(root, pkg, goarch, out string) error {
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// runtimeAPI stands in for the Lambda Runtime API: it notes each request for the first event
// and holds it, as Lambda does while no event is waiting.
type runtimeAPI struct {
	addr  string
	asked chan struct{}
	srv   *http.Server
}

func newRuntimeAPI() (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	api := &runtimeAPI{addr: ln.Addr().String(), asked: make(chan struct{}, 1)}
	api.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case api.asked <- struct{}{}:
		default:
		}
		<-r.Context().Done() // hold the long poll until the process is killed
	})}
	go api.srv.Serve(ln)
	return api, nil
}

// startOnce measures one cold start of a bootstrap: from exec until it asks the Runtime API
// for its first event, which is when Lambda's init phase ends.
func (api *runtimeAPI) startOnce(bin string, env []string) (time.Duration, error) {
	cmd := exec.Command(bin)
	cmd.Env = append(slices.Clone(env), "AWS_LAMBDA_RUNTIME_API="+api.addr)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	select {
	case <-api.asked:
		return time.Since(start), nil
	case <-time.After(10 * time.Second):
		return 0, fmt.Errorf("%s never asked for an event", filepath.Base(filepath.Dir(bin)))
	}
}

// startups measures each bootstrap n times, taking turns so that whatever else the machine
// does falls on all of them alike, and returns each one's median.
func startups(bins []string, env []string, n int) ([]time.Duration, error) {
	api, err := newRuntimeAPI()
	if err != nil {
		return nil, err
	}
	defer api.srv.Close()
	runs := make([][]time.Duration, len(bins))
	for range n {
		for i, bin := range bins {
			d, err := api.startOnce(bin, env)
			if err != nil {
				return nil, err
			}
			runs[i] = append(runs[i], d)
		}
	}
	medians := make([]time.Duration, len(bins))
	for i, r := range runs {
		slices.Sort(r)
		medians[i] = r[len(r)/2]
	}
	return medians, nil
}

// lambdaEnv is what Lambda gives every function, plus what ours read at start-up.
func lambdaEnv() []string {
	return []string{
		"AWS_REGION=eu-west-2", "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_SESSION_TOKEN=bench",
		"AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "_HANDLER=bootstrap",
		"TABLE_NAME=bench", "APP_URL=https://bench.example",
		"TOKEN_ISSUER=https://issuer.example", "TOKEN_AUDIENCE=bench", "JWKS_URL=https://issuer.example/jwks.json",
		"SIGN_IN_URL=https://issuer.example/authorize", "TOKEN_URL=https://issuer.example/token",
		"ALERTS_TOPIC_PREFIX=keepsafe-bench", "ALERTS_KMS_KEY=bench", "ALERTS_SUBSCRIPTIONS_PER_TOPIC=190",
		"ATTACHMENTS_BUCKET=keepsafe-attachments-bench", "AUDIT_ANCHORS_BUCKET=keepsafe-audit-anchors-bench",
		"AUDIT_ANCHOR_RETENTION_YEARS=25", "AUDIT_CHAIN_FROM=2026-09-01", "ESCALATION_QUEUE_URL=https://sqs.eu-west-2.amazonaws.com/000000000000/bench",
		"HOME=" + os.TempDir(), "PATH=/usr/bin:/bin",
	}
}
