package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"gopkg.in/yaml.v3"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// AttachmentsBucket is the bucket of attachments (rule C6) in the local S3.
const AttachmentsBucket = "keepsafe-attachments-local"

// AuditAnchorsBucket keeps each day's last audit seal (rule P4) in the local S3, whose front
// honours Object Lock's retention as S3 does (see objectLocks).
const AuditAnchorsBucket = "keepsafe-audit-anchors-local"

// s3rverScript is s3rver's command line, under the project's node_modules (`npm ci`).
var s3rverScript = filepath.Join("node_modules", "s3rver", "bin", "s3rver.js")

// S3Options says how to run the local S3.
type S3Options struct {
	// Root is the project folder whose node_modules holds s3rver (or a folder below it).
	Root string
	// DataDir keeps the objects between runs; "" keeps them in a temporary folder removed on
	// Close.
	DataDir string
	// Buckets are created at start (kept ones are kept).
	Buckets []string
	// CORSOrigin may PUT to the buckets from a browser ("" allows none).
	CORSOrigin string
	// Credentials maps access key ids to secret keys that may sign requests.
	Credentials map[string]string
	// Region is the region in the events ("eu-west-2" when "").
	Region string
	// OnObjectCreated, when set, gets an S3 notification for every object written through the
	// endpoint, in its own goroutine, after the write succeeded.
	OnObjectCreated func(ctx context.Context, ev events.S3Event)
	// Now is the time in the events (time.Now when nil).
	Now func() time.Time
	Log *slog.Logger
	// Output gets s3rver's own output (discarded when nil).
	Output io.Writer
}

// S3 is a running local S3: s3rver (npm) behind a front that checks every request's AWS
// Signature Version 4 as S3 does (s3rver accepts any V4 signature) and sends ObjectCreated
// notifications, the local stand-in for a bucket's event notifications to Lambda.
type S3 struct {
	// Endpoint is the URL clients use (path-style addressing).
	Endpoint string

	opts     S3Options
	upstream *url.URL
	cmd      *exec.Cmd
	exited   chan struct{}
	srv      *http.Server
	tmpDir   string
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
	pending  atomic.Int64 // notifications not yet sent
	locks    objectLocks
}

// StartS3 starts s3rver with node on a free loopback port, creates the buckets, and serves
// the checking front on another. It fails with a clear message when node or s3rver is missing.
func StartS3(ctx context.Context, opts S3Options) (_ *S3, err error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Region == "" {
		opts.Region = Region
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("stack: the local S3 (s3rver) needs Node.js: install node and npm, then run `npm ci`")
	}
	script, ok := findUp(opts.Root, s3rverScript)
	if !ok {
		return nil, fmt.Errorf("stack: s3rver is not installed (no %s): run `npm ci` in the project folder", s3rverScript)
	}
	s := &S3{opts: opts, exited: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	dir := opts.DataDir
	if dir == "" {
		if s.tmpDir, err = os.MkdirTemp("", "keepsafe-s3-"); err != nil {
			return nil, err
		}
		dir = s.tmpDir
	}
	objects := filepath.Join(dir, "objects")
	if err := os.MkdirAll(objects, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{script, "--directory", objects, "--address", "127.0.0.1", "--port", strconv.Itoa(port), "--silent", "--no-vhost-buckets"}
	if len(opts.Buckets) > 0 {
		cors := filepath.Join(dir, "cors.xml")
		if err := os.WriteFile(cors, corsConfig(opts.CORSOrigin), 0o644); err != nil {
			return nil, err
		}
		for _, b := range opts.Buckets {
			args = append(args, "--configure-bucket", b)
			if opts.CORSOrigin != "" {
				args = append(args, cors)
			}
		}
	}
	s.cmd = exec.Command(node, args...)
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("stack: starting s3rver: %w", err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	s.upstream = &url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(port)}
	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("stack: listen: %w", err)
	}
	s.Endpoint = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// findUp looks for rel in dir and each folder above it.
func findUp(dir, rel string) (string, bool) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("stack: finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until s3rver answers and the buckets exist.
func (s *S3) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, b := range append([]string{""}, s.opts.Buckets...) {
			resp, err := http.Get(s.upstream.String() + "/" + b)
			if err != nil || resp.StatusCode != http.StatusOK {
				ok = false
			}
			if resp != nil {
				_ = resp.Body.Close()
			}
		}
		if ok {
			return nil
		}
		select {
		case <-s.exited:
			return errors.New("stack: s3rver exited at start (is `npm ci` done?)")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("stack: s3rver did not answer within 30 s")
		}
	}
}

func corsConfig(origin string) []byte {
	var b bytes.Buffer
	b.WriteString(`<CORSConfiguration><CORSRule><AllowedOrigin>`)
	_ = xml.EscapeText(&b, []byte(origin))
	b.WriteString(`</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>` +
		`<MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>`)
	return b.Bytes()
}

// Close stops the front and s3rver, and removes a temporary data folder.
func (s *S3) Close() {
	s.once.Do(func() {
		s.cancel()
		if s.srv != nil {
			_ = s.srv.Close()
		}
		if s.cmd != nil && s.cmd.Process != nil {
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(3 * time.Second):
				_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
				<-s.exited
			}
		}
		s.wg.Wait()
		if s.tmpDir != "" {
			_ = os.RemoveAll(s.tmpDir)
		}
	})
}

// ServeHTTP checks the request's signature, passes it to s3rver without it (applying the
// response-* overrides of a signed GET itself, as S3 does), and notifies
// OnObjectCreated of an object written.
func (s *S3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodOptions { // a CORS preflight carries no signature
		if err := verifySigV4(r, s.opts.Credentials, time.Now()); err != nil {
			var e *s3Error
			if !errors.As(err, &e) {
				e = &s3Error{http.StatusForbidden, "AccessDenied", err.Error()}
			}
			s.opts.Log.Info("s3: refused", "method", r.Method, "path", r.URL.Path, "code", e.Code)
			writeS3Error(w, e)
			return
		}
	}
	bucket, key := splitBucketKey(r.URL.Path)
	if e := s.locks.refuse(r, bucket, key, time.Now()); e != nil {
		writeS3Error(w, e)
		return
	}
	created := ""
	switch q := r.URL.Query(); {
	case key == "":
	case r.Method == http.MethodPut && !q.Has("uploadId") && !q.Has("partNumber") && !q.Has("tagging") && !q.Has("acl"):
		created = "ObjectCreated:Put"
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			created = "ObjectCreated:Copy"
		}
	case r.Method == http.MethodPost && q.Has("uploadId"):
		created = "ObjectCreated:CompleteMultipartUpload"
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(s.upstream)
			pr.Out.Host = s.upstream.Host
			q := pr.Out.URL.Query()
			for _, p := range sigV4Params {
				q.Del(p)
			}
			// s3rver refuses these on the unsigned request it gets; the front applies them.
			for p := range responseOverrides {
				q.Del(p)
			}
			pr.Out.URL.RawQuery = q.Encode()
			pr.Out.Header.Del("Authorization")
		},
		ModifyResponse: func(resp *http.Response) error {
			s.locks.apply(r, resp, bucket, key)
			if r.Method == http.MethodGet && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent) {
				for p, header := range responseOverrides {
					if v := r.URL.Query().Get(p); v != "" {
						resp.Header.Set(header, v)
					}
				}
			}
			if created != "" && resp.StatusCode == http.StatusOK && s.opts.OnObjectCreated != nil {
				s.notify(created, bucket, key, r.RemoteAddr)
			}
			return nil
		},
	}
	fullDuplex(w)
	proxy.ServeHTTP(w, r)
}

// objectLocks stands in for S3 Object Lock, which s3rver lacks: an object written with
// x-amz-object-lock-mode and x-amz-object-lock-retain-until-date is answered with them on GET
// and HEAD, and may not be deleted or written over until that date. (S3 keeps the locked
// version and adds a new one on a write; s3rver keeps no versions, so the front refuses it.)
// The locks are kept in memory, for one run of the stack.
type objectLocks struct {
	mu    sync.Mutex
	locks map[string]objectLock // by bucket/key
}

type objectLock struct {
	mode  string
	until time.Time
}

// refuse is S3's answer to a delete or a write of a locked object before its date; nil to let
// the request through.
func (l *objectLocks) refuse(r *http.Request, bucket, key string, now time.Time) *s3Error {
	if key == "" || r.Method != http.MethodDelete && r.Method != http.MethodPut {
		return nil
	}
	l.mu.Lock()
	lock, ok := l.locks[bucket+"/"+key]
	l.mu.Unlock()
	if !ok || !now.Before(lock.until) {
		return nil
	}
	return &s3Error{http.StatusForbidden, "AccessDenied", "the object is locked in " + lock.mode + " mode until " + lock.until.Format(time.RFC3339)}
}

// apply records the lock of an object written with one, and shows an object's lock on a GET
// or HEAD.
func (l *objectLocks) apply(r *http.Request, resp *http.Response, bucket, key string) {
	if key == "" || resp.StatusCode >= 300 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		mode := r.Header.Get("X-Amz-Object-Lock-Mode")
		until, err := time.Parse(time.RFC3339, r.Header.Get("X-Amz-Object-Lock-Retain-Until-Date"))
		if mode == "" || err != nil {
			return
		}
		if l.locks == nil {
			l.locks = map[string]objectLock{}
		}
		l.locks[bucket+"/"+key] = objectLock{mode: mode, until: until}
	case http.MethodGet, http.MethodHead:
		if lock, ok := l.locks[bucket+"/"+key]; ok {
			resp.Header.Set("X-Amz-Object-Lock-Mode", lock.mode)
			resp.Header.Set("X-Amz-Object-Lock-Retain-Until-Date", lock.until.UTC().Format(time.RFC3339))
		}
	}
}

// responseOverrides are the query parameters of a signed GET that set headers of S3's answer,
// such as the name a browser saves the file under.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func splitBucketKey(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

func writeS3Error(w http.ResponseWriter, e *s3Error) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>`)
	_ = xml.EscapeText(&b, []byte(e.Code))
	b.WriteString(`</Code><Message>`)
	_ = xml.EscapeText(&b, []byte(e.Message))
	b.WriteString(`</Message></Error>`)
	_, _ = w.Write(b.Bytes())
}

// notify reads the stored object's size and ETag and sends the event S3 would send.
func (s *S3) notify(name, bucket, key, source string) {
	s.wg.Add(1)
	s.pending.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.pending.Add(-1)
		req, _ := http.NewRequestWithContext(s.ctx, http.MethodHead, s.upstream.String()+"/"+bucket+"/"+key, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			s.opts.Log.Warn("s3: reading a new object for its notification", "err", err)
			return
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return
		}
		unescaped, err := url.PathUnescape(key)
		if err != nil {
			unescaped = key
		}
		host, _, _ := net.SplitHostPort(source)
		ev := events.S3Event{Records: []events.S3EventRecord{{
			EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: s.opts.Region, EventTime: s.opts.Now().UTC(),
			EventName: name, RequestParameters: events.S3RequestParameters{SourceIPAddress: host},
			S3: events.S3Entity{SchemaVersion: "1.0", ConfigurationID: "local",
				Bucket: events.S3Bucket{Name: bucket, Arn: "arn:aws:s3:::" + bucket},
				Object: events.S3Object{Key: eventKey(unescaped), Size: resp.ContentLength,
					ETag: strings.Trim(resp.Header.Get("ETag"), `"`), Sequencer: strconv.FormatInt(time.Now().UnixNano(), 16)}},
		}}}
		s.opts.OnObjectCreated(s.ctx, ev)
	}()
}

// eventKey encodes a key as S3 notifications do: URL-encoded as a form value, slashes kept.
func eventKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

// localBuckets are the template's buckets by logical id, as the local S3 names them.
var localBuckets = map[string]string{"AttachmentsBucket": AttachmentsBucket, "AuditAnchorsBucket": AuditAnchorsBucket}

// s3Target is a function of the template with an event of Type S3, the bucket (its local
// name) whose notifications that event receives, and the event's key filter.
type s3Target struct {
	function       string // logical id
	bucket         string
	prefix, suffix string
}

// wants says whether the target receives the notification of an object of bucket with key.
func (t s3Target) wants(bucket, key string) bool {
	return bucket == t.bucket && strings.HasPrefix(key, t.prefix) && strings.HasSuffix(key, t.suffix)
}

// s3Targets are the functions of the template with an event of Type S3, each with its bucket:
// as in AWS, a bucket notifies only the functions whose events name it.
func s3Targets(tpl *template.Template, functions []template.Function) []s3Target {
	var out []s3Target
	for _, f := range functions {
		r, ok := tpl.Resource(f.LogicalID)
		if !ok {
			continue
		}
		evs := yamlValue(r.Properties, "Events")
		if evs == nil || evs.Kind != yaml.MappingNode {
			continue
		}
		for i := 1; i < len(evs.Content); i += 2 {
			if t := yamlValue(evs.Content[i], "Type"); t != nil && t.Value == "S3" {
				props := yamlValue(evs.Content[i], "Properties")
				ref := yamlValue(props, "Bucket")
				if ref == nil || localBuckets[ref.Value] == "" {
					continue
				}
				t := s3Target{function: f.LogicalID, bucket: localBuckets[ref.Value]}
				if rules := yamlValue(yamlValue(yamlValue(props, "Filter"), "S3Key"), "Rules"); rules != nil {
					for _, r := range rules.Content {
						switch v := yamlValue(r, "Value"); yamlValue(r, "Name").Value {
						case "prefix":
							t.prefix = v.Value
						case "suffix":
							t.suffix = v.Value
						}
					}
				}
				out = append(out, t)
			}
		}
	}
	return out
}

func yamlValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// deliverS3 invokes each function with the event as S3 does for an asynchronous invocation:
// an error is retried twice, then logged (S3 has no dead letters of its own here).
func deliverS3(ctx context.Context, fns []*function, ev events.S3Event, log *slog.Logger) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return
	}
	for _, fn := range fns {
		for attempt := 0; attempt < 3; attempt++ {
			if attempt > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Duration(attempt) * time.Second):
				}
			}
			if _, err = fn.invoke(ctx, payload); err == nil {
				break
			}
		}
		if err != nil {
			log.Error("s3: notification failed after every retry", "function", fn.folder, "err", err)
		}
	}
}

// startS3 runs the local S3 for the stack with the attachments bucket, open to PUTs from the
// stack's pages, and the audit anchors bucket, and sends each bucket's notifications to the
// functions of the template whose S3 event names it. Objects are kept under DataDir unless InMemory.
func (s *Stack) startS3(ctx context.Context, cfg Config, tpl *template.Template, functions []template.Function, log *slog.Logger, out io.Writer) error {
	dir := ""
	if !cfg.InMemory {
		dir = filepath.Join(cfg.DataDir, "s3")
	}
	targets := s3Targets(tpl, functions)
	s3log := log.With("component", "s3")
	var err error
	s.s3, err = StartS3(ctx, S3Options{
		Root: filepath.Dir(cfg.Template), DataDir: dir, Buckets: []string{AttachmentsBucket, AuditAnchorsBucket}, CORSOrigin: s.URL,
		Credentials: map[string]string{accessKeyID: secretKey}, Now: s.clock.Now, Log: s3log,
		Output: prefixWriter(out, "s3rver"),
		OnObjectCreated: func(ctx context.Context, ev events.S3Event) {
			var fns []*function
			for _, t := range targets {
				if fn := s.functions[t.function]; fn != nil && len(ev.Records) > 0 && t.wants(ev.Records[0].S3.Bucket.Name, ev.Records[0].S3.Object.Key) {
					fns = append(fns, fn)
				}
			}
			deliverS3(ctx, fns, ev, s3log)
		},
	})
	if err != nil {
		return err
	}
	s.S3Endpoint = s.s3.Endpoint
	return nil
}
