package main

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// hostileReturns are return addresses that a browser would follow to another site.
var hostileReturns = []string{
	"//evil.example", "/%09/evil.example", "/\t/evil.example", "/\\evil.example", `/\\evil.example`,
	"https://evil.example", "/%2F%2Fevil.example", "javascript:alert(1)", " /\n/evil.example",
	"/%5Cevil.example", "/%252F%252Fevil.example", "\x01/evil.example",
}

// Rule S8: the sign-in goes back only to a page of this site. A hostile return address is
// neither kept for after the sign-in nor followed by the callback: both go to the home page.
func TestRule_S8_SignInAndItsCallbackReturnOnlyToThisSite(t *testing.T) {
	tokenServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id_token":"token-for:`+teacher+`;nonce=N1","expires_in":3600}`)
	}))
	defer tokenServer.Close()
	h := newWorld(t).h
	h.Config.TokenURL = tokenServer.URL
	h.HTTP = tokenServer.Client()

	kept := func(ret string) string {
		t.Helper()
		resp := call(t, h, "GET", "/sign-in?"+url.Values{"return": {ret}}.Encode(), "", nil, monday1030)
		if resp.StatusCode != http.StatusFound || len(resp.Cookies) != 1 {
			t.Fatalf("sign-in with return %q: %d %v", ret, resp.StatusCode, resp.Cookies)
		}
		value := strings.TrimPrefix(strings.SplitN(resp.Cookies[0], ";", 2)[0], signInCookie+"=")
		parts := strings.Split(value, ".")
		b, err := base64.RawURLEncoding.DecodeString(parts[len(parts)-1])
		if err != nil {
			t.Fatalf("cookie %q: %v", resp.Cookies[0], err)
		}
		return string(b)
	}
	followed := func(ret string) string {
		t.Helper()
		back := base64.RawURLEncoding.EncodeToString([]byte(ret))
		resp := call(t, h, "GET", "/auth/callback?code=c&state=S1", "", nil, monday1030, "Cookie", signInCookie+"=S1.v.N1."+back)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("callback with return %q: %d", ret, resp.StatusCode)
		}
		return resp.Headers["Location"]
	}
	for _, hostile := range hostileReturns {
		if got := kept(hostile); got != "/" {
			t.Errorf("sign-in kept return %q as %q, want /", hostile, got)
		}
		if got := followed(hostile); got != "/" {
			t.Errorf("callback went to %q for return %q, want /", got, hostile)
		}
	}
	for _, good := range []string{"/", "/concerns/new?x=1", "/schools/brook-lane/concerns/C1"} {
		if got := kept(good); got != good {
			t.Errorf("sign-in kept return %q as %q", good, got)
		}
		if got := followed(good); got != good {
			t.Errorf("callback went to %q for return %q", got, good)
		}
	}
}

// Every cookie the pages set is a __Host- cookie, Secure even for a site on plain http: browsers
// keep Secure cookies from http://127.0.0.1 and localhost, so the local stack needs no exception.
func TestCookiesAreAlwaysSecure(t *testing.T) {
	h := newWorld(t).h
	for _, app := range []string{"https://keepsafe.example", "http://127.0.0.1:8080", "http://keepsafe.example"} {
		h.Config.AppURL = app
		resp := call(t, h, "GET", "/sign-in", "", nil, monday1030)
		for _, c := range resp.Cookies {
			if !strings.HasPrefix(c, "__Host-") || !strings.Contains(c, "; Secure") || !strings.Contains(c, "Path=/") {
				t.Errorf("%s: cookie %q", app, c)
			}
		}
		if len(resp.Cookies) == 0 {
			t.Errorf("%s: the sign-in set no cookie", app)
		}
	}
}
