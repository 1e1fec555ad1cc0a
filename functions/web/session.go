package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/identity"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// SessionCookie holds the opaque id of the signed-in person's session, which the table keeps
// (rules S3, S8): the cookie proves nothing by itself, so the session ends on the server, at
// once, when its person signs out or it passes its idle time or lifetime. The __Host- prefix
// makes the browser keep it only when Secure, for this host alone, on every path.
const SessionCookie = "__Host-keepsafe_session"

// signInCookie carries the OAuth state, the PKCE verifier, the OIDC nonce and the page to
// return to, from /sign-in to /auth/callback.
const signInCookie = "__Host-keepsafe_sign_in"

// sessionStore keeps the sessions (shared/store).
type sessionStore interface {
	StartSession(ctx context.Context, id string, s store.Session) error
	OpenSession(ctx context.Context, id string, now time.Time) (store.Session, error)
	EndSession(ctx context.Context, id string, now time.Time) error
}

// session is a signed-in person, from an open session.
type session struct {
	id     string
	claims identity.Claims
}

// session opens the session the cookie names. ok is false when there is none, or it has
// ended; err is a failure to read it.
func (h *Handler) session(ctx context.Context, r *request) (_ session, ok bool, err error) {
	id := r.cookie(SessionCookie)
	if id == "" {
		return session{}, false, nil
	}
	s, err := h.Sessions.OpenSession(ctx, id, h.sessionNow())
	if errors.Is(err, store.ErrNoSession) {
		return session{}, false, nil
	}
	if err != nil {
		return session{}, false, err
	}
	return session{id: id, claims: identity.Claims{Subject: s.Subject, Email: s.Email, Name: s.Name, EmailVerified: true}}, true, nil
}

// csrf is the token every form of this session carries: a MAC of the session's id, which the
// page's script cannot read (HttpOnly) and another site cannot guess, so a form posted from
// elsewhere never carries the right one.
func (s session) csrf() string {
	m := hmac.New(sha256.New, []byte(s.id))
	m.Write([]byte("keepsafe form token v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// allowsPost checks a form post: the form's token, and that the browser says it comes from
// this site (Sec-Fetch-Site, else Origin against Host).
func (s session) allowsPost(r *request) bool {
	got := r.form.Get("csrf")
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf())) != 1 {
		return false
	}
	return sameOrigin(r)
}

func sameOrigin(r *request) bool {
	if site := r.header("sec-fetch-site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	origin := r.header("origin")
	if origin == "" || origin == "null" {
		// A browser without Fetch Metadata and no Origin: the form token alone decides.
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.header("host"))
}

func clearCookie(name string) string { return cookieLine(name, "", -1) }

// cookieLine is a Set-Cookie line for a __Host- cookie: Secure, HttpOnly, SameSite=Lax, Path=/.
// Browsers keep Secure cookies from http://127.0.0.1 and localhost too, so the local stack
// needs no exception.
func cookieLine(name, value string, maxAge int) string {
	c := &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: true}
	return c.String()
}

// signIn sends the browser to the identity provider's sign-in page (the authorization code
// flow with PKCE), remembering the state and verifier in a short-lived cookie.
func (h *Handler) signIn(r *request) events.APIGatewayV2HTTPResponse {
	state, nonce := rand.Text(), rand.Text()
	verifier := rand.Text() + rand.Text()
	challenge := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"client_id":             {h.Config.ClientID},
		"response_type":         {"code"},
		"scope":                 {"openid email profile"},
		"redirect_uri":          {h.Config.AppURL + "/auth/callback"},
		"state":                 {state},
		"nonce":                 {nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
		"code_challenge_method": {"S256"},
	}
	back := identity.ReturnPath(r.ev.QueryStringParameters["return"])
	sep := "?"
	if strings.Contains(h.Config.SignInURL, "?") {
		sep = "&"
	}
	c := cookieLine(signInCookie, state+"."+verifier+"."+nonce+"."+base64.RawURLEncoding.EncodeToString([]byte(back)), 600)
	return redirect(h.Config.SignInURL+sep+q.Encode(), http.StatusFound, c)
}

// authCallback finishes the sign-in: it checks the state, exchanges the code for tokens at
// the provider's token endpoint, verifies the ID token (its nonce, and a verified email: rule
// S8) and opens a session on the server, whose id the session cookie holds.
func (h *Handler) authCallback(ctx context.Context, r *request) events.APIGatewayV2HTTPResponse {
	fail := func() events.APIGatewayV2HTTPResponse {
		resp := h.showError(r, errorView{Status: http.StatusBadRequest, Heading: "Sign-in did not work",
			Message: "The sign-in had expired or was already used. Try signing in again."}, nil)
		resp.Cookies = append(resp.Cookies, clearCookie(signInCookie))
		return resp
	}
	q := r.ev.QueryStringParameters
	parts := strings.Split(r.cookie(signInCookie), ".")
	if len(parts) != 4 || q["code"] == "" ||
		subtle.ConstantTimeCompare([]byte(parts[0]), []byte(q["state"])) != 1 {
		return fail()
	}
	back := "/"
	if b, err := base64.RawURLEncoding.DecodeString(parts[3]); err == nil {
		back = identity.ReturnPath(string(b))
	}
	tok, err := h.exchangeCode(ctx, q["code"], parts[1])
	if err != nil {
		return fail()
	}
	claims, err := h.Verifier.Verify(ctx, tok.IDToken)
	if err != nil || subtle.ConstantTimeCompare([]byte(claims.Nonce), []byte(parts[2])) != 1 {
		return fail()
	}
	if !claims.EmailVerified || claims.Email == "" {
		return h.showError(r, errorView{Status: http.StatusForbidden, Heading: "Your email address is not confirmed",
			Message: "Confirm your email address with the sign-in service, then sign in again."}, nil)
	}
	// The person on record for the email must be this account (rule S8): another account given
	// the same email, in any capitals, is not them.
	who := safeguarding.Identity{Email: claims.Email, Subject: claims.Subject}
	p, err := h.Directory.Principal(safeguarding.WithIdentity(ctx, who), who.Email)
	if errors.Is(err, safeguarding.ErrForbidden) {
		return h.showError(r, errorView{Status: http.StatusForbidden, Heading: "This account cannot sign in here",
			Message: "The account you signed in with is not the one the school holds for your email address. Ask your school office to check your account."}, nil)
	}
	idle, lifetime, err := h.sessionLimits(ctx, p)
	if err != nil {
		h.logger().ErrorContext(ctx, "sign-in profile", "error", err.Error())
		return h.errorPage(r, http.StatusServiceUnavailable, nil)
	}
	id := rand.Text() + rand.Text()
	now := h.sessionNow()
	if err := h.Sessions.StartSession(ctx, id, store.Session{Email: claims.Email, Subject: claims.Subject, Name: claims.Name,
		Started: now, Idle: idle, Ends: now.Add(lifetime)}); err != nil {
		h.logger().ErrorContext(ctx, "start session", "error", err.Error())
		return h.errorPage(r, http.StatusServiceUnavailable, nil)
	}
	return redirect(back, http.StatusSeeOther,
		cookieLine(SessionCookie, id, int(lifetime/time.Second)),
		clearCookie(signInCookie))
}

// sessionLimits is how long p's session lasts without use and at most: the strictest settings
// of p's schools (rule S3), one read per school.
func (h *Handler) sessionLimits(ctx context.Context, p safeguarding.Principal) (idle, lifetime time.Duration, err error) {
	var schools []safeguarding.School
	for id := range p.Memberships {
		s, err := h.Directory.School(ctx, id)
		if err != nil && !errors.Is(err, safeguarding.ErrNotFound) {
			return 0, 0, err
		}
		schools = append(schools, s)
	}
	idle, lifetime = safeguarding.SessionLimits(schools)
	return idle, lifetime, nil
}

type tokenResponse struct {
	IDToken   string `json:"id_token"`
	ExpiresIn int    `json:"expires_in"`
}

// exchangeCode is the standard OAuth 2.0 authorization code grant for a public client (no
// secret) with PKCE, as Cognito's /oauth2/token serves it.
func (h *Handler) exchangeCode(ctx context.Context, code, verifier string) (tokenResponse, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {h.Config.ClientID},
		"code":          {code},
		"redirect_uri":  {h.Config.AppURL + "/auth/callback"},
		"code_verifier": {verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.Config.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenResponse{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	client := h.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return tokenResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return tokenResponse{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return tokenResponse{}, fmt.Errorf("token endpoint answered %s", strconv.Itoa(resp.StatusCode))
	}
	var tok tokenResponse
	if err := json.Unmarshal(body, &tok); err != nil || tok.IDToken == "" {
		return tokenResponse{}, fmt.Errorf("token endpoint gave no ID token")
	}
	return tok, nil
}

// signedOut ends the session on the server and clears its cookie. With a hosted identity
// provider it then ends the provider's session too (else the next sign-in would need no
// password), and the provider comes back to the home page; otherwise it shows a page that says
// so.
func (h *Handler) signedOut(ctx context.Context, r *request) events.APIGatewayV2HTTPResponse {
	if id := r.cookie(SessionCookie); id != "" {
		if err := h.Sessions.EndSession(ctx, id, h.sessionNow()); err != nil {
			h.logger().ErrorContext(ctx, "end session", "error", err.Error())
			return h.errorPage(r, http.StatusServiceUnavailable, nil)
		}
	}
	if to := h.Config.logoutURL(); to != "" {
		return redirect(to, http.StatusSeeOther, clearCookie(SessionCookie))
	}
	resp := h.page(r, http.StatusOK, "signed-out", pageData{Title: "You have signed out"})
	resp.Cookies = append(resp.Cookies, clearCookie(SessionCookie))
	return resp
}
