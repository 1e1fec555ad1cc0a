package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://idp.example.org/pool"
	testAudience = "client-123"
)

var testNow = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

type provider struct {
	key     *rsa.PrivateKey
	kid     string
	srv     *httptest.Server
	fetches atomic.Int32
}

var sharedKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func newProvider(t testing.TB) *provider {
	t.Helper()
	p := &provider{key: sharedKey, kid: "key-1"}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(JWKS{Keys: []JWK{PublicJWK(p.kid, &p.key.PublicKey)}})
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) verifier() *Verifier {
	v := NewVerifier(p.srv.URL, testIssuer, testAudience, p.srv.Client())
	v.Now = func() time.Time { return testNow }
	return v
}

func (p *provider) claims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "user-1", "email": " Ada.Lovelace@Example.ORG ", "name": "Ada Lovelace",
		"iss": testIssuer, "aud": testAudience, "token_use": "id",
		"iat": testNow.Add(-time.Minute).Unix(), "exp": testNow.Add(time.Hour).Unix(),
	}
}

func (p *provider) sign(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = p.kid
	s, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyGoodToken(t *testing.T) {
	p := newProvider(t)
	v := p.verifier()
	c, err := v.Verify(context.Background(), p.sign(t, p.claims()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "user-1" || c.Email != "ada.lovelace@example.org" || c.Name != "Ada Lovelace" {
		t.Errorf("claims = %+v", c)
	}
	if c.Raw["token_use"] != "id" || c.Raw["iss"] != testIssuer || c.Raw["aud"] != testAudience {
		t.Errorf("raw = %v", c.Raw)
	}
	if c.Raw["exp"] != strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10) {
		t.Errorf("exp as text = %q", c.Raw["exp"])
	}
	// The key set is cached.
	if _, err := v.Verify(context.Background(), p.sign(t, p.claims())); err != nil {
		t.Fatal(err)
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("key set read %d times, want 1", n)
	}
}

func TestNewVerifierTouchesNoNetwork(t *testing.T) {
	p := newProvider(t)
	_ = p.verifier()
	if n := p.fetches.Load(); n != 0 {
		t.Errorf("key set read %d times at construction", n)
	}
}

func TestVerifyAudienceArray(t *testing.T) {
	p := newProvider(t)
	c := p.claims()
	c["aud"] = []string{"other", testAudience}
	got, err := p.verifier().Verify(context.Background(), p.sign(t, c))
	if err != nil {
		t.Fatal(err)
	}
	if got.Raw["aud"] != "[other "+testAudience+"]" {
		t.Errorf("aud = %q", got.Raw["aud"])
	}
}

func TestVerifyRefuses(t *testing.T) {
	p := newProvider(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(jwt.MapClaims)) string {
		c := p.claims()
		change(c)
		return p.sign(t, c)
	}
	pubDER := func() []byte {
		b, _ := json.Marshal(PublicJWK(p.kid, &p.key.PublicKey))
		return b
	}()
	hs := func(secret []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, p.claims())
		tok.Header["kid"] = p.kid
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, p.claims())
		tok.Header["kid"] = p.kid
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	otherKey := func(kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, p.claims())
		tok.Header["kid"] = kid
		s, err := tok.SignedString(other)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := p.sign(t, p.claims())
	parts := strings.Split(good, ".")

	cases := map[string]string{
		"wrong issuer":       with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.org" }),
		"no issuer":          with(func(c jwt.MapClaims) { delete(c, "iss") }),
		"wrong audience":     with(func(c jwt.MapClaims) { c["aud"] = "someone-else" }),
		"no audience":        with(func(c jwt.MapClaims) { delete(c, "aud") }),
		"expired":            with(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-time.Second).Unix() }),
		"no expiry":          with(func(c jwt.MapClaims) { delete(c, "exp") }),
		"not yet valid":      with(func(c jwt.MapClaims) { c["nbf"] = testNow.Add(time.Minute).Unix() }),
		"issued in future":   with(func(c jwt.MapClaims) { c["iat"] = testNow.Add(time.Minute).Unix() }),
		"no subject":         with(func(c jwt.MapClaims) { delete(c, "sub") }),
		"alg none":           none(),
		"HS256 public key":   hs(pubDER),
		"HS256 modulus":      hs(p.key.PublicKey.N.Bytes()),
		"unknown kid":        otherKey("key-2"),
		"other key same kid": otherKey(p.kid),
		"no kid": func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, p.claims())
			s, _ := tok.SignedString(p.key)
			return s
		}(),
		"tampered payload": parts[0] + "." + strings.TrimSuffix(parts[1], parts[1][len(parts[1])-2:]) + "AA." + parts[2],
		"garbage":          "not-a-token",
		"empty":            "",
		"two parts":        parts[0] + "." + parts[1],
		"too long":         strings.Repeat("a", MaxTokenBytes+1),
	}
	v := p.verifier()
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, ErrInvalidToken) {
				t.Errorf("err = %v, want ErrInvalidToken", err)
			}
		})
	}
}

func TestUnknownKidRefetchesAtMostOnceAMinute(t *testing.T) {
	p := newProvider(t)
	v := p.verifier()
	if _, err := v.Verify(context.Background(), p.sign(t, p.claims())); err != nil {
		t.Fatal(err)
	}
	p.kid = "rotated"
	for range 3 {
		if _, err := v.Verify(context.Background(), p.sign(t, p.claims())); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v, want ErrInvalidToken (key set read too recently)", err)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("key set read %d times, want 1", n)
	}
	// A minute later the rotated key is picked up.
	v.mu.Lock()
	v.lastAttempt = v.lastAttempt.Add(-RefetchInterval)
	v.mu.Unlock()
	if _, err := v.Verify(context.Background(), p.sign(t, p.claims())); err != nil {
		t.Fatal(err)
	}
	if n := p.fetches.Load(); n != 2 {
		t.Errorf("key set read %d times, want 2", n)
	}
}

func TestKeysUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	p := newProvider(t)
	v := NewVerifier(srv.URL, testIssuer, testAudience, srv.Client())
	v.Now = func() time.Time { return testNow }
	_, err := v.Verify(context.Background(), p.sign(t, p.claims()))
	if !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("err = %v, want ErrKeysUnavailable", err)
	}
}

func TestParseJWKSSkipsUnusableKeys(t *testing.T) {
	good := PublicJWK("good", &sharedKey.PublicKey)
	enc := good
	enc.Kid, enc.Use = "enc", "enc"
	ec := JWK{Kty: "EC", Kid: "ec"}
	hs := good
	hs.Kid, hs.Alg = "hs", "HS256"
	short := JWK{Kty: "RSA", Kid: "short", N: "AQAB", E: "AQAB"}
	b, _ := json.Marshal(JWKS{Keys: []JWK{good, enc, ec, hs, short}})
	keys, err := ParseJWKS(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys["good"] == nil {
		t.Errorf("keys = %v", keys)
	}
	if keys["good"].N.Cmp(sharedKey.N) != 0 || keys["good"].E != sharedKey.E {
		t.Error("key differs from the one published")
	}
}

func FuzzVerify(f *testing.F) {
	p := newProvider(f)
	good := p.sign(f, p.claims())
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(good[:len(good)-5])
	f.Add(strings.Replace(good, ".", "..", 1))
	v := p.verifier()
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(context.Background(), tok)
		if err == nil && tok != good {
			// Only a token signed by the provider's key can pass; the fuzzer cannot forge one.
			t.Fatalf("accepted a token that was not signed: %q -> %+v", tok, c)
		}
	})
}
