package stack

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/identity"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

const (
	// Audience is the aud claim of local tokens (the app client id in Cognito).
	Audience = "keepsafe-local"
	// TokenLifetime is how long a local token is valid.
	TokenLifetime = 8 * time.Hour
	// codeLifetime is how long an authorization code may wait for its exchange.
	codeLifetime = 5 * time.Minute
)

// idp is the local identity provider: it signs RS256 ID tokens, shaped like Cognito's, for
// the demo users, and publishes its key. Tokens use real time (not the local clock), like the
// web function's own check of the session cookie.
type idp struct {
	key    *rsa.PrivateKey
	kid    string
	issuer string
	users  []safeguarding.Principal
	// pool holds every account, the demo people's and those an administrator made; only an
	// enabled one signs in.
	pool *UserPool
	now  func() time.Time

	mu    sync.Mutex
	codes map[string]grant // authorization codes not yet exchanged
}

// grant is what an authorization code stands for until the web function exchanges it.
type grant struct {
	claims      claims
	challenge   string // the PKCE S256 code challenge
	redirectURI string
	expires     time.Time
}

// loadOrCreateKey reads the signing key kept in dir, or makes one (and keeps it there when dir
// is not empty, so tokens survive a restart).
func loadOrCreateKey(dir string) (*rsa.PrivateKey, error) {
	var file string
	if dir != "" {
		file = filepath.Join(dir, "idp-key.pem")
		if b, err := os.ReadFile(file); err == nil {
			if blk, _ := pem.Decode(b); blk != nil {
				if k, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
					if rk, ok := k.(*rsa.PrivateKey); ok {
						return rk, nil
					}
				}
			}
			return nil, fmt.Errorf("stack: unreadable signing key %s (delete it to make a new one)", file)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if file != "" {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func newIDP(key *rsa.PrivateKey, issuer string, users []safeguarding.Principal, pool *UserPool, now func() time.Time) *idp {
	sum := sha256.Sum256(key.N.Bytes())
	return &idp{key: key, kid: hex.EncodeToString(sum[:8]), issuer: issuer, users: users, pool: pool, now: now, codes: map[string]grant{}}
}

// account finds the enabled account of email in the pool, or says why there is none to sign in with.
func (p *idp) account(email string) (safeguarding.Principal, int, string) {
	email = strings.ToLower(strings.TrimSpace(email))
	for _, u := range p.pool.Accounts() {
		if u.Email == email {
			return u, 0, ""
		}
	}
	if _, ok := p.pool.Enabled(email); ok {
		return safeguarding.Principal{}, http.StatusForbidden, "This account is disabled: its owner no longer works at any school here"
	}
	return safeguarding.Principal{}, http.StatusNotFound, "No such account: GET /dev/users lists the demo users"
}

func (p *idp) user(email string) (safeguarding.Principal, bool) {
	email = strings.ToLower(strings.TrimSpace(email))
	for _, u := range p.users {
		if u.Email == email {
			return u, true
		}
	}
	return safeguarding.Principal{}, false
}

// claims says what a local token asserts. A real identity provider asserts the person's own
// subject, their email as verified; the contract lets a test forge the rest (see serveToken).
type claims struct {
	Subject, Email, Name string
	EmailVerified        bool
	Nonce                string // the sign-in's OIDC nonce, when it gave one
}

// claimsFor is what the identity provider asserts about a demo user (or anyone else: the
// local provider signs for any email, known or not, as a stolen or self-registered account
// would get): their subject (seed.Subject), their email lower-cased and verified.
func (p *idp) claimsFor(email string) claims {
	email = strings.ToLower(strings.TrimSpace(email))
	c := claims{Subject: seed.Subject(email), Email: email, Name: email, EmailVerified: true}
	if u, ok := p.user(email); ok {
		c.Name = u.Name
	} else if u, status, _ := p.account(email); status == 0 && u.Name != "" {
		c.Name = u.Name
	}
	return c
}

// token signs an ID token shaped like Cognito's.
func (p *idp) token(c claims) (string, error) {
	now := p.now()
	mc := jwt.MapClaims{
		"sub":            c.Subject,
		"email":          c.Email,
		"email_verified": c.EmailVerified,
		"name":           c.Name,
		"iss":            p.issuer,
		"aud":            Audience,
		"token_use":      "id",
		"auth_time":      now.Unix(),
		"iat":            now.Unix(),
		"exp":            now.Add(TokenLifetime).Unix(),
	}
	if c.Nonce != "" {
		mc["nonce"] = c.Nonce
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, mc)
	t.Header["kid"] = p.kid
	return t.SignedString(p.key)
}

func (p *idp) jwks() identity.JWKS {
	return identity.JWKS{Keys: []identity.JWK{identity.PublicJWK(p.kid, &p.key.PublicKey)}}
}

type devUser struct {
	Email string              `json:"email"`
	Name  string              `json:"name"`
	Roles map[string][]string `json:"roles"`
}

func (p *idp) devUsers() []devUser {
	out := make([]devUser, 0, len(p.users))
	for _, u := range p.users {
		d := devUser{Email: u.Email, Name: u.Name, Roles: map[string][]string{}}
		for s, roles := range u.Memberships {
			for _, r := range roles {
				d.Roles[string(s)] = append(d.Roles[string(s)], string(r))
			}
		}
		out = append(out, d)
	}
	return out
}

func (p *idp) serveJWKS(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, p.jwks())
}

func (p *idp) serveUsers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, p.devUsers())
}

// serveToken: POST /dev/token {"email"} -> {"token"}, for any email, known or not. The
// optional fields forge what a real identity provider could issue, so tests can try it: "sub"
// (another subject than the person's own), "emailVerified": false, "emailAsWritten": true (the
// email claim exactly as given, capitals kept; otherwise it is lower-cased).
func (p *idp) serveToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email          string  `json:"email"`
		Sub            *string `json:"sub"`
		EmailVerified  *bool   `json:"emailVerified"`
		EmailAsWritten bool    `json:"emailAsWritten"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || strings.TrimSpace(in.Email) == "" {
		writeProblem(w, http.StatusBadRequest, "Invalid request",
			`body must be {"email": "...", "sub"?: "...", "emailVerified"?: false, "emailAsWritten"?: true}`)
		return
	}
	c := p.claimsFor(in.Email)
	if in.Sub != nil {
		c.Subject = *in.Sub
	}
	if in.EmailVerified != nil {
		c.EmailVerified = *in.EmailVerified
	}
	if in.EmailAsWritten {
		c.Email = in.Email
	}
	tok, err := p.token(c)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "Could not sign a token", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

var signInPage = template.Must(template.New("sign-in").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (local demo) - Keepsafe</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:46rem;padding:0 1rem;line-height:1.4}
form{margin:0}
button{display:block;width:100%;text-align:left;padding:.6rem .8rem;margin:.4rem 0;font-size:1rem;border:2px solid #0b0c0c;background:#fff;cursor:pointer}
button:hover,button:focus{background:#ffdd00;outline:3px solid #0b0c0c}
.roles{color:#505a5f;font-size:.9rem}
</style>
</head>
<body>
<main>
<h1>Sign in to the local demo</h1>
<p>This page exists only in the local stack. Choose a demo person; no password is needed.</p>
<ul style="list-style:none;padding:0">
{{range .Users}}<li><form method="post" action="/dev/sign-in">
<input type="hidden" name="email" value="{{.Email}}">
{{range $k, $v := $.Request}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button type="submit">{{.Name}} <span class="roles">({{.Email}}) {{.Summary}}</span></button>
</form></li>
{{end}}</ul>
</main>
</body>
</html>
`))

type signInUser struct {
	Email, Name, Summary string
}

func rolesSummary(u safeguarding.Principal) string {
	schools := make([]string, 0, len(u.Memberships))
	for s := range u.Memberships {
		schools = append(schools, string(s))
	}
	sort.Strings(schools)
	parts := make([]string, 0, len(schools))
	for _, s := range schools {
		var rs []string
		for _, r := range u.Memberships[safeguarding.SchoolID(s)] {
			rs = append(rs, string(r))
		}
		parts = append(parts, s+": "+strings.Join(rs, ", "))
	}
	return strings.Join(parts, "; ")
}

// authorizeParams are the parameters of an authorization request that the sign-in page carries
// from its GET to its POST.
var authorizeParams = []string{"client_id", "redirect_uri", "state", "nonce", "code_challenge", "code_challenge_method", "response_type", "scope"}

// serveSignIn is the provider's authorize endpoint, as Cognito's hosted sign-in is for the
// deployed product: the authorization code flow with PKCE and an OIDC nonce. GET lists the demo
// users as buttons; POST signs one in and sends the browser back to the web function's
// /auth/callback with a code, which the function exchanges at /dev/oauth2/token. A visit
// without an authorization request (a bookmark, a test) goes through the web function's
// /sign-in, which makes one.
func (p *idp) serveSignIn(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		if q.Get("redirect_uri") == "" {
			http.Redirect(w, r, "/sign-in?"+url.Values{"return": {identity.ReturnPath(q.Get("next"))}}.Encode(), http.StatusFound)
			return
		}
		data := struct {
			Users   []signInUser
			Request map[string]string
		}{Request: map[string]string{}}
		for _, k := range authorizeParams {
			data.Request[k] = q.Get(k)
		}
		for _, u := range p.pool.Accounts() {
			su := signInUser{Email: u.Email, Name: u.Name}
			if d, ok := p.user(u.Email); ok {
				su.Summary = rolesSummary(d)
			}
			data.Users = append(data.Users, su)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = signInPage.Execute(w, data)
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 8192)
		if err := r.ParseForm(); err != nil {
			writeProblem(w, http.StatusBadRequest, "Invalid request", "")
			return
		}
		f := r.PostForm
		u, status, why := p.account(f.Get("email"))
		if status != 0 {
			writeProblem(w, status, "Cannot sign in", why)
			return
		}
		back, err := url.Parse(f.Get("redirect_uri"))
		if err != nil || f.Get("client_id") != Audience || f.Get("response_type") != "code" || f.Get("state") == "" ||
			f.Get("code_challenge_method") != "S256" || f.Get("code_challenge") == "" ||
			back.Path != "/auth/callback" || back.Host != r.Host {
			writeProblem(w, http.StatusBadRequest, "Invalid authorization request",
				"client_id, response_type=code, state, an S256 code_challenge and this site's /auth/callback are required")
			return
		}
		c := p.claimsFor(u.Email)
		c.Nonce = f.Get("nonce")
		code := rand.Text()
		p.mu.Lock()
		for k, g := range p.codes {
			if p.now().After(g.expires) {
				delete(p.codes, k)
			}
		}
		p.codes[code] = grant{claims: c, challenge: f.Get("code_challenge"), redirectURI: back.String(), expires: p.now().Add(codeLifetime)}
		p.mu.Unlock()
		q := back.Query()
		q.Set("code", code)
		q.Set("state", f.Get("state"))
		back.RawQuery = q.Encode()
		http.Redirect(w, r, back.String(), http.StatusSeeOther)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeProblem(w, http.StatusMethodNotAllowed, "Method not allowed", "")
	}
}

// serveTokenExchange is the provider's token endpoint (POST /dev/oauth2/token): an
// authorization code, once, for its ID token, when the PKCE verifier, the client and the
// redirect address match the sign-in's.
func (p *idp) serveTokenExchange(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8192)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	f := r.PostForm
	p.mu.Lock()
	g, ok := p.codes[f.Get("code")]
	delete(p.codes, f.Get("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if !ok || p.now().After(g.expires) || f.Get("grant_type") != "authorization_code" || f.Get("client_id") != Audience ||
		f.Get("redirect_uri") != strings.Split(g.redirectURI, "?")[0] ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	if _, status, _ := p.account(g.claims.Email); status != 0 {
		// Disabled between the sign-in and the exchange, as Cognito refuses it.
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	tok, err := p.token(g.claims)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"id_token": tok, "access_token": tok, "token_type": "Bearer",
		"expires_in": int(TokenLifetime / time.Second)})
}
