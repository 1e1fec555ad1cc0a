package stack

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// An upstream may answer before it has read the whole request. The proxy in front of
// DynamoDB Local (and the S3 stand-in's, which does the same) must pass that answer on whole
// while the rest of the body streams: without full duplex the proxy's server waits for the
// body while its caller waits for the answer's first bytes.
func TestTheDynamoDBProxyAnswersWhileTheBodyIsStillComing(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fullDuplex(w)
		first := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, first); err != nil {
			t.Errorf("upstream read: %v", err)
			return
		}
		_, _ = fmt.Fprintf(w, "%s;", first)
		http.NewResponseController(w).Flush()
		rest, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("upstream read of the rest: %v", err)
		}
		_, _ = fmt.Fprintf(w, "%d more", len(rest))
	}))
	defer upstream.Close()
	defer upstream.CloseClientConnections() // what a failed run leaves stuck
	p, err := newDynamoProxy(upstream.URL, newFaults(time.Now, slog.New(slog.DiscardHandler)), nil)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()
	defer front.CloseClientConnections()

	body, more := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, front.URL, body)
	// Without an answer in time, the body ends in an error, which ends the request.
	stuck := time.AfterFunc(5*time.Second, func() { _ = more.CloseWithError(errors.New("no answer in 5 s")) })
	defer stuck.Stop()
	go func() { _, _ = more.Write([]byte("first")) }()
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("request: %v", err)
			close(answered)
			return
		}
		answered <- resp
	}()
	resp, ok := <-answered
	if !ok {
		return
	}
	defer resp.Body.Close()
	_, _ = more.Write([]byte("and the rest"))
	_ = more.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("the answer was cut short after %q: %v", got, err)
	}
	if string(got) != "first;12 more" {
		t.Errorf("answer %q", got)
	}
}
