package stack

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FunctionError is what a function reported through the runtime API's /error (or
// /init/error), or what the local runtime reports when the process died or timed out.
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan invokeResult // buffered 1; written once
	finished chan struct{}     // closed when done is written
	once     sync.Once
}

type invokeResult struct {
	body []byte
	err  error
}

func (inv *invocation) finish(body []byte, err error) {
	inv.once.Do(func() {
		inv.done <- invokeResult{body, err}
		close(inv.finished)
	})
}

// function runs one Lambda function of the template as real bootstrap processes. Each process
// talks to its own loopback listener that implements the Lambda Runtime API (2018-06-01);
// invocations wait in one queue that every process of the function takes from, so up to
// maxProcs requests run at once. Processes start on demand and are replaced when they die.
type function struct {
	name     string // the function name given to the process (logical ID)
	folder   string
	binary   string
	env      []string
	timeout  time.Duration
	maxProcs int
	log      *slog.Logger
	output   io.Writer
	// dynamo, when set, is the faults' proxy to DynamoDB: each process reaches it at a path of
	// its own (dynamo + "/process/<id>"), so a fault can strike the process that made a call.
	dynamo *processes

	queue chan *invocation

	mu       sync.Mutex
	procs    map[*process]bool
	pending  int // invocations queued and not yet taken
	idle     int // processes waiting in /next
	starting int // processes started that have not yet asked for work
	closed   bool
	wg       sync.WaitGroup
}

type process struct {
	id       string
	fn       *function
	cmd      *exec.Cmd
	ln       net.Listener
	srv      *http.Server
	started  bool // has asked for work at least once
	exited   chan struct{}
	mu       sync.Mutex
	current  *invocation
	initFail *FunctionError
}

func newFunction(name, folder, binary string, env []string, timeout time.Duration, maxProcs int, log *slog.Logger, output io.Writer) *function {
	return &function{
		name: name, folder: folder, binary: binary, env: env, timeout: timeout, maxProcs: maxProcs,
		log: log.With("function", folder), output: output,
		queue: make(chan *invocation), procs: map[*process]bool{},
	}
}

// invoke runs payload through the function and returns its response payload.
func (f *function) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	inv := &invocation{id: newID(), payload: payload, deadline: time.Now().Add(f.timeout), done: make(chan invokeResult, 1), finished: make(chan struct{})}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, errors.New("stack closed")
	}
	f.pending++
	f.scaleLocked()
	f.mu.Unlock()

	timer := time.NewTimer(f.timeout + 5*time.Second) // the process's own deadline comes first
	defer timer.Stop()
	select {
	case f.queue <- inv:
	case <-ctx.Done():
		f.unqueue()
		return nil, ctx.Err()
	case <-timer.C:
		f.unqueue()
		return nil, &FunctionError{Type: "Sandbox.Timedout", Message: "no process took the invocation in time"}
	case r := <-inv.done: // a process that failed to start gave up this invocation
		return r.body, r.err
	}
	select {
	case r := <-inv.done:
		return r.body, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *function) unqueue() {
	f.mu.Lock()
	f.pending--
	f.mu.Unlock()
}

// scaleLocked starts a process when more invocations wait than processes can take them.
func (f *function) scaleLocked() {
	for !f.closed && f.pending > f.idle+f.starting && len(f.procs) < f.maxProcs {
		if err := f.startLocked(); err != nil {
			f.log.Error("cannot start function process", "err", err)
			return
		}
	}
}

func (f *function) startLocked() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	p := &process{id: newID(), fn: f, ln: ln, exited: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", p.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", p.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", p.error)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", p.initError)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()

	cmd := exec.Command(f.binary)
	cmd.Env = append(append([]string{}, f.env...), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	if f.dynamo != nil {
		// The last value of a name in Env is the one the process gets.
		cmd.Env = append(cmd.Env, "AWS_ENDPOINT_URL_DYNAMODB="+f.dynamo.endpoint(p))
	}
	cmd.Stdout = prefixWriter(f.output, f.folder)
	cmd.Stderr = prefixWriter(f.output, f.folder)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = p.srv.Close()
		return fmt.Errorf("%s: %w", f.binary, err)
	}
	p.cmd = cmd
	f.procs[p] = true
	if f.dynamo != nil {
		f.dynamo.add(p)
	}
	f.starting++
	f.wg.Add(1)
	go p.wait()
	return nil
}

// wait reaps the process, fails the invocation it held, and replaces it if work is waiting.
func (p *process) wait() {
	f := p.fn
	defer f.wg.Done()
	err := p.cmd.Wait()
	close(p.exited)
	_ = p.srv.Close()

	p.mu.Lock()
	cur, initFail, started := p.current, p.initFail, p.started
	p.current = nil
	p.mu.Unlock()

	if f.dynamo != nil {
		f.dynamo.remove(p)
	}
	f.mu.Lock()
	delete(f.procs, p)
	if !started {
		f.starting--
	}
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return
	}
	f.log.Warn("function process exited", "err", fmt.Sprint(err))
	if cur != nil {
		cur.finish(nil, &FunctionError{Type: "Runtime.ExitError", Message: "process exited: " + fmt.Sprint(err)})
	}
	if !started {
		// It died during init: give one waiting invocation the init error, so a function that
		// cannot start fails its requests instead of being restarted for ever.
		fe := initFail
		if fe == nil {
			fe = &FunctionError{Type: "Runtime.ExitError", Message: "process exited during init: " + fmt.Sprint(err)}
		}
		select {
		case inv := <-f.queue:
			f.unqueue()
			inv.finish(nil, fe)
		default:
		}
	}
	f.mu.Lock()
	f.scaleLocked()
	f.mu.Unlock()
}

func (p *process) next(w http.ResponseWriter, r *http.Request) {
	f := p.fn
	p.mu.Lock()
	if p.current != nil {
		// Asking for the next event completes nothing: the previous one got no answer.
		p.current.finish(nil, &FunctionError{Type: "Runtime.NoResponse", Message: "the runtime asked for the next event without answering"})
		p.current = nil
	}
	first := !p.started
	p.started = true
	p.mu.Unlock()

	f.mu.Lock()
	if first {
		f.starting--
	}
	f.idle++
	f.mu.Unlock()

	var inv *invocation
	select {
	case inv = <-f.queue:
	case <-r.Context().Done():
	case <-p.exited:
	}
	f.mu.Lock()
	f.idle--
	if inv != nil {
		f.pending--
	}
	f.mu.Unlock()
	if inv == nil {
		return
	}
	p.mu.Lock()
	p.current = inv
	p.mu.Unlock()
	go p.watchDeadline(inv)

	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-2:000000000000:function:"+f.name)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-"+strconv.FormatInt(time.Now().Unix(), 16)+"-"+strings.ReplaceAll(inv.id, "-", "")[:24]+";Parent="+strings.ReplaceAll(newID(), "-", "")[:16]+";Sampled=0")
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(inv.payload); err != nil {
		// The process went away: give the work back.
		p.mu.Lock()
		if p.current == inv {
			p.current = nil
		}
		p.mu.Unlock()
		inv.finish(nil, &FunctionError{Type: "Runtime.ExitError", Message: "could not hand the event to the process"})
	}
}

// watchDeadline kills the process when its invocation outlives the function's timeout, as
// Lambda does.
func (p *process) watchDeadline(inv *invocation) {
	t := time.NewTimer(time.Until(inv.deadline))
	defer t.Stop()
	select {
	case <-inv.finished:
		return
	case <-p.exited:
		return
	case <-t.C:
	}
	p.mu.Lock()
	timedOut := p.current == inv
	p.mu.Unlock()
	if timedOut {
		p.fn.log.Warn("function timed out; stopping its process", "timeout", p.fn.timeout.String())
		inv.finish(nil, &FunctionError{Type: "Sandbox.Timedout", Message: "Task timed out after " + p.fn.timeout.String()})
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
}

func (p *process) take(id string) *invocation {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.current == nil || p.current.id != id {
		return nil
	}
	inv := p.current
	p.current = nil
	return inv
}

const maxResponseBytes = 6 << 20 // Lambda's synchronous response limit

func (p *process) response(w http.ResponseWriter, r *http.Request) {
	inv := p.take(r.PathValue("id"))
	if inv == nil {
		http.Error(w, `{"errorType":"InvalidRequestID","errorMessage":"unknown request id"}`, http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes+1))
	switch {
	case err != nil:
		inv.finish(nil, &FunctionError{Type: "Runtime.ResponseError", Message: err.Error()})
	case len(body) > maxResponseBytes:
		inv.finish(nil, &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: "response payload over 6 MB"})
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		// A streamed response that failed part way (aws-lambda-go reports it in trailers).
		fe := &FunctionError{Type: r.Trailer.Get("Lambda-Runtime-Function-Error-Type")}
		if b, err := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body")); err == nil {
			_ = json.Unmarshal(b, fe)
		}
		inv.finish(nil, fe)
	default:
		inv.finish(body, nil)
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func readFunctionError(r *http.Request) *FunctionError {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	fe := &FunctionError{}
	if err := json.Unmarshal(b, fe); err != nil || fe.Type == "" && fe.Message == "" {
		fe = &FunctionError{Type: "Unhandled", Message: strings.TrimSpace(string(b))}
	}
	if t := r.Header.Get("Lambda-Runtime-Function-Error-Type"); t != "" && fe.Type == "" {
		fe.Type = t
	}
	return fe
}

func (p *process) error(w http.ResponseWriter, r *http.Request) {
	inv := p.take(r.PathValue("id"))
	if inv == nil {
		http.Error(w, `{"errorType":"InvalidRequestID","errorMessage":"unknown request id"}`, http.StatusBadRequest)
		return
	}
	fe := readFunctionError(r)
	p.fn.log.Warn("function returned an error", "errorType", fe.Type)
	inv.finish(nil, fe)
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func (p *process) initError(w http.ResponseWriter, r *http.Request) {
	fe := readFunctionError(r)
	p.mu.Lock()
	p.initFail = fe
	p.mu.Unlock()
	p.fn.log.Error("function init failed", "errorType", fe.Type, "errorMessage", fe.Message)
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

// kill ends the process at once, as a crash or Lambda's stopping a sandbox does: its
// invocation fails with no response.
func (p *process) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}

// processes are the functions' running processes by id, for the DynamoDB proxy to know which
// process made a call.
type processes struct {
	base string // the proxy's URL
	mu   sync.Mutex
	byID map[string]*process
}

func (ps *processes) endpoint(p *process) string { return ps.base + processPath + p.id }

func (ps *processes) add(p *process) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.byID[p.id] = p
}

func (ps *processes) remove(p *process) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	delete(ps.byID, p.id)
}

func (ps *processes) get(id string) *process {
	if ps == nil {
		return nil
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.byID[id]
}

// processPath is where, under the DynamoDB proxy, each process's calls arrive.
const processPath = "/process/"

// close stops every process of the function.
func (f *function) close() {
	f.mu.Lock()
	f.closed = true
	procs := make([]*process, 0, len(f.procs))
	for p := range f.procs {
		procs = append(procs, p)
	}
	f.mu.Unlock()
	for _, p := range procs {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	}
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		for _, p := range procs {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		}
		<-done
	}
}

// prefixWriter copies a process's output line by line, each line prefixed with its function's
// folder. Functions log JSON with slog; lines pass through unchanged.
func prefixWriter(out io.Writer, name string) io.Writer {
	return &lineWriter{out: out, prefix: "[" + name + "] "}
}

type lineWriter struct {
	out    io.Writer
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		_, _ = io.WriteString(l.out, l.prefix+string(l.buf[:i+1]))
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 64<<10 { // a very long line without an end: pass it on as it is
		_, _ = io.WriteString(l.out, l.prefix+string(l.buf)+"\n")
		l.buf = nil
	}
	return len(p), nil
}
