// Package stack runs the whole application on one machine with no AWS account: DynamoDB Local
// with the table of template.yaml and the demo data, each function of the template as its real
// bootstrap behind a local Lambda Runtime API, a gateway that does what API Gateway's HTTP API
// and JWT authorizer do, an identity provider for the demo users, a local SNS that keeps every
// alert, a DynamoDB Streams poller that feeds stream events (with their filters, batch sizes
// and retries) to their functions, the schedules of the template on their cadence, and a
// local S3 (s3rver behind a signature check) whose new objects notify the functions with an
// S3 event.
//
// The /dev/* endpoints exist only here, never in a deployed build:
//
//	GET  /dev/users                 the demo users and their roles
//	POST /dev/token {"email"}       -> {"token"}: a signed ID token for any email (forging fields: see serveToken)
//	GET  /dev/jwks.json             the identity provider's public key
//	GET  /dev/sign-in               a page to sign in to the web pages as a demo user
//	GET|POST|DELETE /dev/clock      the local clock (POST {"now": RFC 3339} pins it; see Clock)
//	GET  /dev/schedules             the schedules of the template
//	POST /dev/schedules/{name}/run  runs a schedule now, at the local clock
//	GET  /dev/alerts                every message published to SNS, oldest first
//	GET  /dev/queues                messages the local SQS sent, and those dropped after every retry
//	GET  /dev/dead-letters          stream records that failed after every retry
//	POST /dev/settle                waits until what was done has had its effects (see Settle)
//	POST /dev/cognito-idp           the local user pool's admin API, for the real Cognito client (see UserPool)
//	GET|POST|DELETE /dev/faults     the faults the stack plays (POST a FaultSpec as JSON; see FaultSpec)
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"gopkg.in/yaml.v3"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/template"
	"github.com/keepsafe-schools/keepsafe/shared/identity"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Local settings every function sees.
const (
	Region      = dynamodblocal.Region
	TableName   = "keepsafe-local"
	accessKeyID = "local" // DynamoDB Local keeps one database per access key unless -sharedDb
	secretKey   = "local"
)

// Config says how to run the stack.
type Config struct {
	// Port is the gateway's port on 127.0.0.1; 0 picks a free one.
	Port int
	// InMemory keeps DynamoDB's data in memory (for tests); otherwise it lives under DataDir.
	InMemory bool
	// Measured runs DynamoDB Local with the JVM's defaults, as a benchmark needs; otherwise
	// it is tuned for short runs (dynamodblocal.Options.Brief).
	Measured bool
	// DataDir keeps what survives a restart: the DynamoDB database, the identity provider's
	// signing key and the stream checkpoint. Required unless InMemory.
	DataDir string
	// BinDir holds <folder>/bootstrap for each function of the template, built for this
	// machine with -tags lambda.norpc. When empty, Start uses the folder named by
	// $KEEPSAFE_BOOTSTRAPS (BootstrapsEnv; an absolute path) if the stack runs the functions/
	// of the repository's own template and that folder holds a bootstrap for every function:
	// `make test` builds them there once per run, afresh, for all the test binaries that start
	// a stack. Otherwise Start builds them with `go build` into a temporary folder. Whoever
	// sets the variable answers for the bootstraps being built from the code under test.
	BinDir string
	// Clock is real time for the local clock (time.Now when nil); /dev/clock pins over it.
	Clock func() time.Time

	// Template is the path of template.yaml; "" finds it from the working directory.
	Template string
	// SourceDir holds the function packages, <SourceDir>/<folder>; "" is functions/ beside
	// the template. Used only when BinDir is empty.
	SourceDir string
	// Env adds environment variables for every function (they win over the stack's own).
	Env map[string]string
	// MaxProcs is the most processes one function runs at once (4 when 0).
	MaxProcs int
	// FunctionTimeout overrides the template's Timeout for every function (0: the template's
	// function Timeout, else 10 s as in its Globals).
	FunctionTimeout time.Duration
	// StreamPollInterval is how often the stream is read (200 ms when 0).
	StreamPollInterval time.Duration
	// StreamRetryDelay is the first delay before a failed stream batch is retried; it doubles
	// on each retry up to 5 s (200 ms when 0).
	StreamRetryDelay time.Duration
	// DisableScheduler stops schedules from firing on their own; /dev/schedules/{name}/run
	// still runs them.
	DisableScheduler bool
	// Logger gets the stack's own log (text on stderr when nil). It never holds personal data.
	Logger *slog.Logger
	// FunctionOutput gets the functions' output, each line prefixed with the function's folder
	// (stderr when nil).
	FunctionOutput io.Writer
	// Faults are played from the start (see FaultSpec); when nil, $KEEPSAFE_FAULTS (FaultsEnv)
	// gives them, if set. POST /dev/faults changes them while the stack runs.
	Faults *FaultSpec
}

// Stack is a running local stack.
type Stack struct {
	// URL is the gateway's base URL, "http://127.0.0.1:<port>".
	URL string
	// Issuer and Audience are those of the local tokens; JWKSURL publishes their key.
	Issuer, Audience, JWKSURL string
	// DynamoDBEndpoint is DynamoDB Local's URL; TableName the table in it.
	DynamoDBEndpoint string
	TableName        string
	// SNSEndpoint is the local SNS's URL.
	SNSEndpoint string
	// S3Endpoint is the local S3's URL (path-style), with the bucket AttachmentsBucket.
	S3Endpoint string
	// Users are the demo users who can sign in.
	Users []safeguarding.Principal
	// Seeded is true when this start created the table and wrote the demo data.
	Seeded bool
	// Pool is the local identity provider's accounts, whose admin API the functions call at
	// URL+UserPoolPath as they call Cognito's.
	Pool *UserPool

	clock     *Clock
	cancel    context.CancelFunc
	servers   []*http.Server
	functions map[string]*function
	db        *dynamodblocal.Server
	sns       *snsServer
	sqs       *sqsServer
	s3        *S3
	poller    *poller
	faults    *faults
	// dynamoProxy is where the functions reach DynamoDB Local: through the faults, each
	// process at a path of its own (procs).
	dynamoProxy string
	procs       *processes
	tmpDir      string
	bg          sync.WaitGroup
	closeOnce   sync.Once
}

// Clock returns the stack's clock.
func (s *Stack) Clock() *Clock { return s.clock }

// Alerts returns the messages published to the local SNS so far, oldest first.
func (s *Stack) Alerts() []Alert { return s.sns.list() }

// DeadLetters returns the stream records dropped after every retry.
func (s *Stack) DeadLetters() []DeadLetter {
	if s.poller == nil {
		return nil
	}
	return s.poller.listDeadLetters()
}

// SetFaults replaces the faults the stack plays (FaultSpec{} for none); an SNS outage starts
// at the local clock's now.
func (s *Stack) SetFaults(spec FaultSpec) { s.faults.set(spec) }

// Faults returns the faults set and how often each has struck.
func (s *Stack) Faults() FaultState { return s.faults.state() }

// SQSEndpoint returns the local SQS's URL; a queue's URL is <it>/000000000000/<logical id>.
func (s *Stack) SQSEndpoint() string { return s.sqs.endpoint }

// DynamoDB returns a client for the stack's DynamoDB Local.
func (s *Stack) DynamoDB() *dynamodb.Client { return dynamodblocal.NewClient(s.DynamoDBEndpoint) }

// Settle waits until what has been done so far has had all its effects, or until ctx ends:
// the local S3 has sent the notification of every object stored, and then the stream poller
// has read the table's stream to its end and given every function it feeds what was written
// (the shards described anew, then two poll cycles in a row that read nothing and held no
// record back). SQS and SNS deliver before they answer, so nothing waits there. Work that
// starts later, such as a schedule firing, is not waited for. Tests use it to check that
// something did not happen without waiting a fixed time.
func (s *Stack) Settle(ctx context.Context) error {
	for {
		for s.s3 != nil && s.s3.pending.Load() > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
		if s.poller != nil {
			if err := s.poller.settle(ctx); err != nil {
				return err
			}
		}
		if s.s3 == nil || s.s3.pending.Load() == 0 {
			return nil
		}
	}
}

// serveSettle: POST /dev/settle answers once the stack has settled (Settle), within a minute.
func (s *Stack) serveSettle(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	if err := s.Settle(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the stack did not settle: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"settled": true})
}

// Start runs the stack and returns once it serves requests. Close stops it. Each step keeps
// what it started in the Stack, so that when a step fails Close stops all the steps before it
// started (and the gateway's listener, not served yet, is closed).
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	tpl, err := template.Load(cfg.Template)
	if err != nil {
		return nil, err
	}
	tableDef, err := tpl.Table()
	if err != nil {
		return nil, err
	}
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, err
		}
	}
	log := cfg.Logger

	runCtx, cancel := context.WithCancel(context.Background())
	s := &Stack{
		Audience: Audience, TableName: TableName, clock: NewClock(cfg.Clock), cancel: cancel,
		functions: map[string]*function{},
	}
	s.faults = newFaults(s.clock.Now, log.With("component", "faults"))
	if spec := cfg.Faults; spec != nil {
		if err := spec.validate(); err != nil {
			return nil, err
		}
		s.faults.set(*spec)
	} else if env := os.Getenv(FaultsEnv); env != "" {
		spec, err := ParseFaults(env)
		if err != nil {
			return nil, fmt.Errorf("stack: %s: %w", FaultsEnv, err)
		}
		s.faults.set(spec)
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	// Listeners first: the functions need the URLs. The gateway's is served last.
	gwLn, err := s.listenGateway(cfg.Port)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = gwLn.Close()
		}
	}()
	if err := s.startSNS(log); err != nil {
		return nil, err
	}
	if err := s.listenSQS(log); err != nil {
		return nil, err
	}

	// DynamoDB Local and the bootstraps, side by side.
	functions := tpl.Functions()
	binDir, built := cfg.BinDir, cfg.BinDir != ""
	if !built {
		if dir := prebuilt(cfg.SourceDir, functions); dir != "" {
			binDir, built = dir, true
			log.Debug("bootstraps built already", "dir", dir)
		}
	}
	if binDir == "" {
		if s.tmpDir, err = os.MkdirTemp("", "keepsafe-functions-"); err != nil {
			return nil, err
		}
		binDir = s.tmpDir
	}
	err = sideBySide(func() error {
		if built {
			return nil
		}
		return build(ctx, cfg.SourceDir, binDir, functions)
	}, func() error { return s.startDynamoDB(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	if err := s.startDynamoProxy(); err != nil {
		return nil, err
	}

	fresh, streamARN, err := ensureTable(ctx, s.DynamoDB(), tableDef, TableName)
	if err != nil {
		return nil, err
	}
	demo := seed.Demo()
	s.Users = demo.Users
	if fresh {
		if err := s.seed(ctx, demo, log); err != nil {
			return nil, err
		}
	}
	if err := s.startS3(ctx, cfg, tpl, functions, log, cfg.FunctionOutput); err != nil {
		return nil, err
	}
	if err := s.newFunctions(cfg, tpl, functions, binDir); err != nil {
		return nil, err
	}
	s.sqs.bind(tpl, s.functions)
	streams, err := s.startStreams(runCtx, cfg, functions, streamARN, fresh)
	if err != nil {
		return nil, err
	}
	sched, err := s.startSchedules(runCtx, cfg, functions)
	if err != nil {
		return nil, err
	}
	if err := s.serveGateway(gwLn, cfg, tpl, sched); err != nil {
		return nil, err
	}
	if !cfg.InMemory {
		if err := s.writeEndpoints(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if fresh {
		// The seed's people and schools reach the subscriptions function before Start returns,
		// so each school's alert topic and subscriptions exist before anyone can raise an
		// alert (a fresh deployment has its subscriptions before its first concern, too).
		settleCtx, cancel := context.WithTimeout(ctx, time.Minute)
		err := s.Settle(settleCtx)
		cancel()
		if err != nil {
			log.Warn("the seed's stream records were not all delivered before start-up ended", "err", err)
		}
	}
	log.Info("local stack ready", "url", s.URL, "functions", len(s.functions), "schedules", len(sched.schedules),
		"streams", streams)
	return s, nil
}

// fill sets the defaults of what cfg leaves out, and finds the template.
func (cfg *Config) fill() error {
	if !cfg.InMemory && cfg.DataDir == "" {
		return errors.New("stack: set Config.DataDir or Config.InMemory")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.MaxProcs <= 0 {
		cfg.MaxProcs = 4
	}
	if cfg.StreamPollInterval <= 0 {
		cfg.StreamPollInterval = 200 * time.Millisecond
	}
	if cfg.StreamRetryDelay <= 0 {
		cfg.StreamRetryDelay = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.FunctionOutput == nil {
		cfg.FunctionOutput = os.Stderr
	}
	if cfg.Template == "" {
		p, err := template.Find()
		if err != nil {
			return err
		}
		cfg.Template = p
	}
	if cfg.SourceDir == "" {
		cfg.SourceDir = filepath.Join(filepath.Dir(cfg.Template), "functions")
	}
	return nil
}

// sideBySide runs the steps at once and waits for them all; their errors are joined in order.
func sideBySide(steps ...func() error) error {
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Go(func() { errs[i] = step() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// listenGateway opens the gateway's port, which names the stack's URL and its issuer.
func (s *Stack) listenGateway(port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("stack: listen: %w", err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.Issuer = s.URL + "/dev"
	s.JWKSURL = s.URL + "/dev/jwks.json"
	return ln, nil
}

// startSNS serves the local SNS.
func (s *Stack) startSNS(log *slog.Logger) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("stack: listen: %w", err)
	}
	s.SNSEndpoint = "http://" + ln.Addr().String()
	s.sns = &snsServer{log: log.With("component", "sns"), now: s.clock.Now, down: s.faults.snsDown}
	s.serve(ln, s.sns)
	return nil
}

// startDynamoProxy serves the functions' way to DynamoDB Local, through the faults.
func (s *Stack) startDynamoProxy() error {
	ln, err := netListen()
	if err != nil {
		return fmt.Errorf("stack: listen: %w", err)
	}
	s.dynamoProxy = "http://" + ln.Addr().String()
	s.procs = &processes{base: s.dynamoProxy, byID: map[string]*process{}}
	p, err := newDynamoProxy(s.DynamoDBEndpoint, s.faults, s.procs)
	if err != nil {
		_ = ln.Close()
		return err
	}
	s.serve(ln, p)
	return nil
}

// startDynamoDB runs DynamoDB Local, its data under DataDir unless InMemory.
func (s *Stack) startDynamoDB(ctx context.Context, cfg Config) error {
	dir, err := dynamodblocal.Ensure(dynamodblocal.CacheDir())
	if err != nil {
		return err
	}
	opts := dynamodblocal.Options{Dir: dir, InMemory: cfg.InMemory, Brief: !cfg.Measured}
	if !cfg.InMemory {
		opts.DBPath = filepath.Join(cfg.DataDir, "dynamodb")
	}
	if s.db, err = dynamodblocal.Start(ctx, opts); err != nil {
		return err
	}
	s.DynamoDBEndpoint = s.db.Endpoint
	return nil
}

// seed writes the demo data to a new table.
func (s *Stack) seed(ctx context.Context, demo seed.Data, log *slog.Logger) error {
	st := store.New(s.DynamoDB(), TableName)
	if err := seed.Apply(ctx, st, demo); err != nil {
		return err
	}
	if err := seed.ApplyFamilies(ctx, st, demo); err != nil {
		return err
	}
	if err := seed.ApplyFormerPupils(ctx, st, demo); err != nil {
		return err
	}
	s.Seeded = true
	log.Info("table created and demo data written", "table", TableName, "schools", len(demo.Schools),
		"users", len(demo.Users), "pupils", len(demo.Pupils))
	return nil
}

// newFunctions makes each function of the template from its bootstrap under binDir, with the
// environment that points it at the local endpoints.
func (s *Stack) newFunctions(cfg Config, tpl *template.Template, functions []template.Function, binDir string) error {
	env := map[string]string{
		"TABLE_NAME":                                 TableName,
		"AWS_REGION":                                 Region,
		"AWS_DEFAULT_REGION":                         Region,
		"AWS_ACCESS_KEY_ID":                          accessKeyID,
		"AWS_SECRET_ACCESS_KEY":                      secretKey,
		"AWS_ENDPOINT_URL_DYNAMODB":                  s.dynamoProxy,
		"AWS_ENDPOINT_URL_SNS":                       s.SNSEndpoint,
		"AWS_ENDPOINT_URL_SQS":                       s.sqs.endpoint,
		"AWS_ENDPOINT_URL_S3":                        s.S3Endpoint,
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": s.URL + UserPoolPath,
		"USER_POOL_ID":                               LocalUserPoolID,
		"ATTACHMENTS_BUCKET":                         AttachmentsBucket,
		"AUDIT_ANCHORS_BUCKET":                       AuditAnchorsBucket,
		"ALERTS_TOPIC_PREFIX":                        "keepsafe-local",
		"APP_URL":                                    s.URL,
		"TOKEN_ISSUER":                               s.Issuer,
		"TOKEN_AUDIENCE":                             Audience,
		"JWKS_URL":                                   s.JWKSURL,
		"SIGN_IN_URL":                                "/dev/sign-in",
		"TOKEN_URL":                                  s.URL + "/dev/oauth2/token",
		"_HANDLER":                                   "bootstrap",
		"AWS_LAMBDA_FUNCTION_VERSION":                "$LATEST",
		"AWS_LAMBDA_LOG_FORMAT":                      "JSON",
		"TZ":                                         "UTC",
	}
	var missing []string
	for _, f := range functions {
		bin := filepath.Join(binDir, f.Folder, "bootstrap")
		if st, err := os.Stat(bin); err != nil || st.IsDir() {
			missing = append(missing, bin)
			continue
		}
		memory, timeout := functionSizing(tpl, f.LogicalID)
		if cfg.FunctionTimeout > 0 {
			timeout = cfg.FunctionTimeout
		}
		vars := map[string]string{}
		for k, v := range f.Env {
			vars[k] = v
		}
		for k, v := range env {
			vars[k] = v
		}
		for k, v := range s.sqs.env(tpl, f.LogicalID) {
			vars[k] = v
		}
		vars["AWS_LAMBDA_FUNCTION_NAME"] = f.LogicalID
		vars["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(memory)
		vars["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + f.LogicalID
		for k, v := range cfg.Env {
			vars[k] = v
		}
		s.functions[f.LogicalID] = newFunction(f.LogicalID, f.Folder, bin, envList(vars), timeout, cfg.MaxProcs, cfg.Logger, cfg.FunctionOutput)
		s.functions[f.LogicalID].dynamo = s.procs
	}
	if len(missing) > 0 {
		return fmt.Errorf("stack: no bootstrap at %s (build the functions first, or leave BinDir empty)", strings.Join(missing, ", "))
	}
	return nil
}

// startStreams polls the table's stream for the functions with a DynamoDB event, until ctx
// ends, and returns how many event sources it feeds.
func (s *Stack) startStreams(ctx context.Context, cfg Config, functions []template.Function, streamARN string, fresh bool) (int, error) {
	var sources []*streamSource
	for _, f := range functions {
		for _, ev := range f.Streams {
			fs, err := compileFilters(ev.FilterPatterns)
			if err != nil {
				return 0, fmt.Errorf("stack: %s %s: %w", f.LogicalID, ev.Name, err)
			}
			sources = append(sources, &streamSource{fn: s.functions[f.LogicalID], ev: ev, filters: fs})
		}
	}
	if len(sources) == 0 {
		return 0, nil
	}
	if streamARN == "" {
		return 0, errors.New("stack: functions read the table's stream but the table has none")
	}
	checkpoint := ""
	if !cfg.InMemory {
		checkpoint = filepath.Join(cfg.DataDir, "stream-checkpoint.json")
	}
	s.poller = &poller{
		client: dynamodbstreams.New(dynamodbstreams.Options{
			Region:       Region,
			Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secretKey, ""),
			BaseEndpoint: aws.String(s.DynamoDBEndpoint),
		}),
		streamARN: streamARN, region: Region, sources: sources, interval: cfg.StreamPollInterval,
		retryBase: cfg.StreamRetryDelay, checkpoint: checkpoint, fresh: fresh,
		log: cfg.Logger.With("component", "streams"), now: s.clock.Now, faults: s.faults,
	}
	s.bg.Go(func() { s.poller.run(ctx) })
	return len(sources), nil
}

// startSchedules reads the template's schedules and, unless DisableScheduler, fires them on
// their cadence until ctx ends.
func (s *Stack) startSchedules(ctx context.Context, cfg Config, functions []template.Function) (*scheduler, error) {
	sched := &scheduler{schedules: map[string]*schedule{}, clock: s.clock, log: cfg.Logger.With("component", "scheduler"), disabled: cfg.DisableScheduler}
	for _, f := range functions {
		for _, def := range f.Schedules {
			c, err := parseCadence(def.Expression, def.Timezone)
			if err != nil {
				return nil, fmt.Errorf("stack: %s %s: %w", f.LogicalID, def.Event, err)
			}
			sched.schedules[def.Name] = &schedule{def: def, fn: s.functions[f.LogicalID], cadence: c}
		}
	}
	if !cfg.DisableScheduler {
		sched.start(ctx, cfg.Clock)
	}
	return sched, nil
}

// serveGateway serves the identity provider's /dev endpoints, the stack's own, and the
// template's routes on the gateway's listener.
func (s *Stack) serveGateway(ln net.Listener, cfg Config, tpl *template.Template, sched *scheduler) error {
	keyDir := ""
	if !cfg.InMemory {
		keyDir = cfg.DataDir
	}
	key, err := loadOrCreateKey(keyDir)
	if err != nil {
		return err
	}
	poolFile := ""
	if !cfg.InMemory {
		poolFile = filepath.Join(cfg.DataDir, "userpool.json")
	}
	if s.Pool, err = NewUserPool(s.Users, poolFile, time.Now); err != nil {
		return err
	}
	idp := newIDP(key, s.Issuer, s.Users, s.Pool, time.Now)
	verifier := identity.NewVerifier(s.JWKSURL, s.Issuer, Audience, &http.Client{Timeout: 5 * time.Second})
	gw := &gateway{routes: tpl.Routes(), functions: s.functions, verifier: verifier, clock: s.clock, log: cfg.Logger.With("component", "gateway")}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /dev/users", idp.serveUsers)
	mux.HandleFunc("POST /dev/token", idp.serveToken)
	mux.HandleFunc("GET /dev/jwks.json", idp.serveJWKS)
	mux.HandleFunc("/dev/sign-in", idp.serveSignIn)
	mux.HandleFunc("POST /dev/oauth2/token", idp.serveTokenExchange)
	mux.HandleFunc("/dev/clock", s.clock.serveHTTP)
	mux.HandleFunc("GET /dev/schedules", sched.serveList)
	mux.HandleFunc("POST /dev/schedules/{name}/run", sched.serveRun)
	mux.HandleFunc("GET /dev/alerts", s.sns.serveAlerts)
	mux.HandleFunc("GET /dev/queues", s.sqs.serveDeadLetters)
	mux.HandleFunc("GET /dev/dead-letters", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, append([]DeadLetter{}, s.DeadLetters()...))
	})
	mux.HandleFunc("POST /dev/settle", s.serveSettle)
	mux.HandleFunc("/dev/faults", s.faults.serveHTTP)
	mux.Handle(UserPoolPath, s.Pool)
	mux.Handle("/", gw)
	s.serve(ln, mux)
	return nil
}

func (s *Stack) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		_ = srv.Serve(ln)
	}()
}

// Close stops everything the stack started. It is safe to call twice.
func (s *Stack) Close() {
	s.closeOnce.Do(func() {
		s.cancel()
		for _, srv := range s.servers {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = srv.Shutdown(ctx)
			cancel()
			_ = srv.Close()
		}
		for _, f := range s.functions {
			f.close()
		}
		s.bg.Wait()
		if s.db != nil {
			s.db.Stop()
		}
		if s.s3 != nil {
			s.s3.Close()
		}
		if s.tmpDir != "" {
			_ = os.RemoveAll(s.tmpDir)
		}
	})
}

// ensureTable creates the table when it does not exist; fresh reports that it did.
func ensureTable(ctx context.Context, db *dynamodb.Client, def template.TableDef, name string) (fresh bool, streamARN string, err error) {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var nf *dbtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		if err := dynamodblocal.CreateTableFromDef(ctx, db, def, name); err != nil {
			return false, "", err
		}
		out, err = db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return false, "", fmt.Errorf("stack: describe table: %w", err)
		}
		fresh = true
	case err != nil:
		return false, "", fmt.Errorf("stack: describe table: %w", err)
	default:
		if err := addMissingIndexes(ctx, db, def, name, out.Table); err != nil {
			return false, "", err
		}
	}
	return fresh, aws.ToString(out.Table.LatestStreamArn), nil
}

// addMissingIndexes brings a table kept from an earlier run up to the template: each global
// secondary index the template has and the table lacks is created, and waited for. Data stays.
func addMissingIndexes(ctx context.Context, db *dynamodb.Client, def template.TableDef, name string, table *dbtypes.TableDescription) error {
	have := map[string]bool{}
	for _, ix := range table.GlobalSecondaryIndexes {
		have[aws.ToString(ix.IndexName)] = true
	}
	want := def.CreateTableInput(name)
	for _, ix := range want.GlobalSecondaryIndexes {
		if have[aws.ToString(ix.IndexName)] {
			continue
		}
		_, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{
			TableName:            aws.String(name),
			AttributeDefinitions: want.AttributeDefinitions,
			GlobalSecondaryIndexUpdates: []dbtypes.GlobalSecondaryIndexUpdate{{Create: &dbtypes.CreateGlobalSecondaryIndexAction{
				IndexName: ix.IndexName, KeySchema: ix.KeySchema, Projection: ix.Projection,
			}}},
		})
		if err != nil {
			return fmt.Errorf("stack: adding index %s to the kept table: %w", aws.ToString(ix.IndexName), err)
		}
		for {
			out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			if err != nil {
				return fmt.Errorf("stack: describe table: %w", err)
			}
			active := false
			for _, g := range out.Table.GlobalSecondaryIndexes {
				if aws.ToString(g.IndexName) == aws.ToString(ix.IndexName) && g.IndexStatus == dbtypes.IndexStatusActive {
					active = true
				}
			}
			if active {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// BootstrapsEnv names the environment variable that may hold a folder of bootstraps built
// already (see Config.BinDir).
const BootstrapsEnv = "KEEPSAFE_BOOTSTRAPS"

// prebuilt returns the folder of $KEEPSAFE_BOOTSTRAPS when it may stand in for a build from
// sourceDir: sourceDir is the functions/ folder of the repository's own template (found from
// the working directory, not a test's fixture) and the folder holds <folder>/bootstrap for
// every function. Otherwise it returns "".
func prebuilt(sourceDir string, functions []template.Function) string {
	dir := os.Getenv(BootstrapsEnv)
	if dir == "" || !filepath.IsAbs(dir) {
		return ""
	}
	tpl, err := template.Find()
	if err != nil {
		return ""
	}
	src, err := filepath.Abs(sourceDir)
	if err != nil || src != filepath.Join(filepath.Dir(tpl), "functions") {
		return ""
	}
	for _, f := range functions {
		st, err := os.Stat(filepath.Join(dir, f.Folder, "bootstrap"))
		if err != nil || !st.Mode().IsRegular() {
			return ""
		}
	}
	return dir
}

// build compiles each function's package into <binDir>/<folder>/bootstrap for this machine,
// with -tags lambda.norpc as for Lambda, in one go build.
func build(ctx context.Context, sourceDir, binDir string, functions []template.Function) error {
	if len(functions) == 0 {
		return nil
	}
	outDir := filepath.Join(binDir, ".out") + string(filepath.Separator)
	args := []string{"build", "-tags", "lambda.norpc", "-o", outDir}
	seen := map[string]bool{}
	for _, f := range functions {
		if !seen[f.Folder] {
			seen[f.Folder] = true
			args = append(args, "./"+f.Folder)
		}
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = sourceDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the functions: %w\n%s", err, b)
	}
	for folder := range seen {
		dir := filepath.Join(binDir, folder)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(outDir, folder), filepath.Join(dir, "bootstrap")); err != nil {
			return err
		}
	}
	return nil
}

// functionSizing reads MemorySize and Timeout of a function (the template's Globals give 256
// and 10 to every function that does not say otherwise).
func functionSizing(tpl *template.Template, logicalID string) (memory int, timeout time.Duration) {
	memory, timeout = 256, 10*time.Second
	r, ok := tpl.Resource(logicalID)
	if !ok || r.Properties == nil {
		return
	}
	props := r.Properties
	for i := 0; i+1 < len(props.Content); i += 2 {
		k, v := props.Content[i].Value, props.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
			continue
		}
		n, err := strconv.Atoi(v.Value)
		if err != nil || n <= 0 {
			continue
		}
		switch k {
		case "MemorySize":
			memory = n
		case "Timeout":
			timeout = time.Duration(n) * time.Second
		}
	}
	return
}

func envList(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
