// Package identity verifies the RS256 ID tokens of the identity provider (Cognito in AWS, the
// local stack's signer on a laptop): signature against the provider's published keys (JWKS),
// issuer, audience and the token's time window. The web function uses it for its session
// cookie; the local gateway uses it to do what API Gateway's JWT authorizer does.
//
// It is an adapter: it reads the network (the JWKS) and the clock (Verifier.Now).
package identity

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalidToken wraps every reason a token is refused: malformed, wrong algorithm, bad
// signature, unknown key, wrong issuer or audience, expired or not yet valid.
var ErrInvalidToken = errors.New("invalid token")

// ErrKeysUnavailable: the provider's key set could not be read, so no token can be checked.
var ErrKeysUnavailable = errors.New("token signing keys unavailable")

// MaxTokenBytes bounds the size of a token the verifier will parse.
const MaxTokenBytes = 16 << 10

// maxJWKSBytes bounds the size of a key set document.
const maxJWKSBytes = 1 << 20

// RefetchInterval is the least time between two reads of the key set after a successful one:
// a token naming an unknown key triggers a re-read at most this often.
const RefetchInterval = time.Minute

// retryInterval is the least time between two reads of the key set after a failed one.
const retryInterval = 5 * time.Second

// Claims is what a verified token says about its holder.
type Claims struct {
	Subject string
	// Email is lower-cased and trimmed.
	Email string
	// EmailVerified is the provider's word that the holder proved the email is theirs (rule
	// S8): Cognito's email_verified, a boolean in the token and "true" through API Gateway.
	EmailVerified bool
	Name          string
	// Nonce is the OIDC nonce the sign-in asked for, which the ID token must carry back.
	Nonce string
	// Raw holds every claim as text, as API Gateway's JWT authorizer passes them on: strings
	// as they are, numbers in decimal, arrays as "[a b]".
	Raw map[string]string
}

// Verifier checks tokens of one issuer for one audience. Its zero value is not usable; build
// it with NewVerifier. It is safe for concurrent use.
type Verifier struct {
	jwksURL  string
	issuer   string
	audience string
	client   *http.Client

	// Now is the clock for exp, nbf and iat; time.Now unless set.
	Now func() time.Time
	// Leeway is the clock skew allowed on exp, nbf and iat (none unless set).
	Leeway time.Duration

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey
	lastAttempt time.Time
}

// NewVerifier returns a verifier for tokens issued by issuer for audience, signed by a key
// of the set published at jwksURL. It does not touch the network: the key set is read on
// first use and cached. A nil client means http.DefaultClient.
func NewVerifier(jwksURL, issuer, audience string, client *http.Client) *Verifier {
	if client == nil {
		client = http.DefaultClient
	}
	return &Verifier{jwksURL: jwksURL, issuer: issuer, audience: audience, client: client, Now: time.Now}
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Verify checks token and returns its claims. Every refusal wraps ErrInvalidToken, except a
// key set that cannot be read, which wraps ErrKeysUnavailable.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	if token == "" {
		return Claims{}, fmt.Errorf("%w: empty", ErrInvalidToken)
	}
	if len(token) > MaxTokenBytes {
		return Claims{}, fmt.Errorf("%w: too long", ErrInvalidToken)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.Leeway),
		jwt.WithTimeFunc(v.now),
		jwt.WithStrictDecoding(),
	)
	var keysErr error
	mc := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(token, mc, func(t *jwt.Token) (any, error) {
		kid, ok := t.Header["kid"].(string)
		if !ok || kid == "" {
			return nil, errors.New("no key id")
		}
		key, err := v.key(ctx, kid)
		if err != nil {
			if errors.Is(err, ErrKeysUnavailable) {
				keysErr = err
			}
			return nil, err
		}
		return key, nil
	})
	if keysErr != nil {
		return Claims{}, keysErr
	}
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	c := Claims{Raw: flatten(mc)}
	c.Subject, _ = mc["sub"].(string)
	c.Name, _ = mc["name"].(string)
	c.Nonce, _ = mc["nonce"].(string)
	c.EmailVerified = c.Raw["email_verified"] == "true"
	email, _ := mc["email"].(string)
	c.Email = strings.ToLower(strings.TrimSpace(email))
	if c.Subject == "" {
		return Claims{}, fmt.Errorf("%w: no subject", ErrInvalidToken)
	}
	return c, nil
}

// key returns the public key named kid, reading the key set if it has not been read yet, or
// if kid is unknown and the last read is old enough.
func (v *Verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	// Once a key set has been read, an unknown key id re-reads it at most once a minute;
	// until one has been read, a failed read is retried after a few seconds.
	wait := RefetchInterval
	if v.keys == nil {
		wait = retryInterval
	}
	if !v.lastAttempt.IsZero() && time.Since(v.lastAttempt) < wait {
		if v.keys == nil {
			return nil, fmt.Errorf("%w: last read failed", ErrKeysUnavailable)
		}
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	v.lastAttempt = time.Now()
	keys, err := v.fetch(ctx)
	if err != nil {
		if v.keys == nil {
			return nil, fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
		}
		return nil, fmt.Errorf("unknown key id %q (key set re-read failed)", kid)
	}
	v.keys = keys
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

func (v *Verifier) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.jwksURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("key set: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBytes {
		return nil, errors.New("key set too large")
	}
	return ParseJWKS(body)
}

// JWK is one RSA public key of a key set, as RFC 7517 writes it.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// JWKS is a key set document.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// PublicJWK returns the JWK form of an RSA public key for signing with RS256.
func PublicJWK(kid string, pub *rsa.PublicKey) JWK {
	return JWK{
		Kty: "RSA", Kid: kid, Use: "sig", Alg: "RS256",
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}

// ParseJWKS reads the RSA signing keys of a key set, by key id. Keys of another type or use,
// or for another algorithm, are skipped.
func ParseJWKS(body []byte) (map[string]*rsa.PublicKey, error) {
	var set JWKS
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		n, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.N, "="))
		if err != nil || len(n) < 256 { // at least 2048-bit
			continue
		}
		e, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.E, "="))
		if err != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		exp := new(big.Int).SetBytes(e)
		if exp.Int64() < 3 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}
	}
	return keys, nil
}

// flatten renders every claim as text, the way API Gateway's JWT authorizer passes claims to
// a function.
func flatten(mc jwt.MapClaims) map[string]string {
	out := make(map[string]string, len(mc))
	for k, v := range mc {
		if s, ok := text(v); ok {
			out[k] = s
		}
	}
	return out
}

func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10), true
		}
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return x.String(), true
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := text(e); ok {
				parts = append(parts, s)
			}
		}
		return "[" + strings.Join(parts, " ") + "]", true
	case map[string]any:
		b, err := json.Marshal(x)
		if err != nil {
			return "", false
		}
		return string(b), true
	default:
		return "", false
	}
}
