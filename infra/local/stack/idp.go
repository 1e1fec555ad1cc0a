package stack

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keepsafe-schools/keepsafe/shared/identity"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

const (
	// Audience is the aud claim of local tokens (the app client id in Cognito).
	Audience = "keepsafe-local"
	// TokenLifetime is how long a local token is valid.
	TokenLifetime = 8 * time.Hour
	// SessionCookie is the web function's session cookie (functions/web SessionCookie), set
	// by POST /dev/sign-in.
	SessionCookie = "keepsafe_session"
)

// idp is the local identity provider: it signs RS256 ID tokens, shaped like Cognito's, for
// the demo users, and publishes its key. Tokens use real time (not the local clock), like the
// web function's own check of the session cookie.
type idp struct {
	key    *rsa.PrivateKey
	kid    string
	issuer string
	users  []safeguarding.Principal
	now    func() time.Time
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

func newIDP(key *rsa.PrivateKey, issuer string, users []safeguarding.Principal, now func() time.Time) *idp {
	sum := sha256.Sum256(key.N.Bytes())
	return &idp{key: key, kid: hex.EncodeToString(sum[:8]), issuer: issuer, users: users, now: now}
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

// subject is a stable, made-up user id for an email, shaped like a Cognito sub.
func subject(email string) string {
	s := sha256.Sum256([]byte("keepsafe-local:" + email))
	h := hex.EncodeToString(s[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Token signs an ID token for a demo user.
func (p *idp) token(u safeguarding.Principal) (string, error) {
	now := p.now()
	c := jwt.MapClaims{
		"sub":            subject(u.Email),
		"email":          u.Email,
		"email_verified": true,
		"name":           u.Name,
		"iss":            p.issuer,
		"aud":            Audience,
		"token_use":      "id",
		"auth_time":      now.Unix(),
		"iat":            now.Unix(),
		"exp":            now.Add(TokenLifetime).Unix(),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
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

// serveToken: POST /dev/token {"email"} -> {"token"}.
func (p *idp) serveToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil || in.Email == "" {
		writeProblem(w, http.StatusBadRequest, "Invalid request", "body must be {\"email\": \"...\"}")
		return
	}
	u, ok := p.user(in.Email)
	if !ok {
		writeProblem(w, http.StatusNotFound, "No such demo user", "GET /dev/users lists the demo users")
		return
	}
	tok, err := p.token(u)
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
<input type="hidden" name="next" value="{{$.Next}}">
<button type="submit">{{.Name}} <span class="roles">({{.Email}}) {{.Summary}}</span></button>
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

// localPath keeps a redirect target on this site, as the web function does (identity.ReturnPath).
func localPath(next string) string { return identity.ReturnPath(next) }

// serveSignIn: GET lists the demo users as buttons; POST signs one in with the web session
// cookie and goes back to the site.
func (p *idp) serveSignIn(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		data := struct {
			Users []signInUser
			Next  string
		}{Next: localPath(r.URL.Query().Get("next"))}
		for _, u := range p.users {
			data.Users = append(data.Users, signInUser{Email: u.Email, Name: u.Name, Summary: rolesSummary(u)})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = signInPage.Execute(w, data)
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if err := r.ParseForm(); err != nil {
			writeProblem(w, http.StatusBadRequest, "Invalid request", "")
			return
		}
		u, ok := p.user(r.PostForm.Get("email"))
		if !ok {
			writeProblem(w, http.StatusNotFound, "No such demo user", "GET /dev/users lists the demo users")
			return
		}
		tok, err := p.token(u)
		if err != nil {
			writeProblem(w, http.StatusInternalServerError, "Could not sign a token", err.Error())
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: SessionCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
			MaxAge: int(TokenLifetime / time.Second),
		})
		http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeProblem(w, http.StatusMethodNotAllowed, "Method not allowed", "")
	}
}
