package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/identity"
)

// SessionCookie holds the signed-in person's ID token (a JWT), checked on every request. The
// local stack's /dev/sign-in sets the same cookie.
const SessionCookie = "keepsafe_session"

// signInCookie carries the OAuth state, the PKCE verifier and the page to return to, from
// /sign-in to /auth/callback.
const signInCookie = "keepsafe_sign_in"

// sessionMaxAge matches the ID token's lifetime in the user pool (60 minutes).
const sessionMaxAge = 3600

// session is a signed-in person, from a verified token.
type session struct {
	token  string
	claims identity.Claims
}

// session verifies the session cookie; false when there is none or it does not verify.
func (h *Handler) session(ctx context.Context, r *request) (session, bool) {
	token := r.cookie(SessionCookie)
	if token == "" {
		return session{}, false
	}
	claims, err := h.Verifier.Verify(ctx, token)
	if err != nil || claims.Email == "" {
		return session{}, false
	}
	return session{token: token, claims: claims}, true
}

// csrf is the token every form of this session carries: a MAC of the session's token, which
// the page's script cannot read (HttpOnly) and another site cannot guess, so a form posted from
// elsewhere never carries the right one.
func (s session) csrf() string {
	m := hmac.New(sha256.New, []byte(s.token))
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

func clearCookie(name string, secure bool) string { return cookieLine(name, "", "/", -1, secure) }

func cookieLine(name, value, path string, maxAge int, secure bool) string {
	// #nosec G124 -- Secure is off only for the local stack on a loopback address over http (Config.secure).
	c := &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure}
	return c.String()
}

// signIn sends the browser to the identity provider's sign-in page (the authorization code
// flow with PKCE), remembering the state and verifier in a short-lived cookie.
func (h *Handler) signIn(r *request) events.APIGatewayV2HTTPResponse {
	state := rand.Text()
	verifier := rand.Text() + rand.Text()
	challenge := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"client_id":             {h.Config.ClientID},
		"response_type":         {"code"},
		"scope":                 {"openid email profile"},
		"redirect_uri":          {h.Config.AppURL + "/auth/callback"},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
		"code_challenge_method": {"S256"},
	}
	back := localPath(r.ev.QueryStringParameters["return"])
	if strings.HasPrefix(h.Config.SignInURL, "/") {
		// The local stack's sign-in page is on this site; it sets the session cookie itself
		// and goes back to "next".
		q.Set("next", back)
	}
	sep := "?"
	if strings.Contains(h.Config.SignInURL, "?") {
		sep = "&"
	}
	c := cookieLine(signInCookie, state+"."+verifier+"."+base64.RawURLEncoding.EncodeToString([]byte(back)),
		"/auth/callback", 600, h.Config.secure())
	return redirect(h.Config.SignInURL+sep+q.Encode(), http.StatusFound, c)
}

// localPath keeps a return address only when it is a path of this site (identity.ReturnPath).
func localPath(p string) string { return identity.ReturnPath(p) }

// authCallback finishes the sign-in: it checks the state, exchanges the code for tokens at
// the provider's token endpoint, verifies the ID token and keeps it in the session cookie.
// Only a real identity provider comes here; the local stack's sign-in sets the cookie itself.
func (h *Handler) authCallback(ctx context.Context, r *request) events.APIGatewayV2HTTPResponse {
	fail := func() events.APIGatewayV2HTTPResponse {
		resp := h.showError(r, errorView{Status: http.StatusBadRequest, Heading: "Sign-in did not work",
			Message: "The sign-in had expired or was already used. Try signing in again."}, nil)
		resp.Cookies = append(resp.Cookies, cookieLine(signInCookie, "", "/auth/callback", -1, h.Config.secure()))
		return resp
	}
	q := r.ev.QueryStringParameters
	parts := strings.Split(r.cookie(signInCookie), ".")
	if len(parts) != 3 || q["code"] == "" ||
		subtle.ConstantTimeCompare([]byte(parts[0]), []byte(q["state"])) != 1 {
		return fail()
	}
	back := "/"
	if b, err := base64.RawURLEncoding.DecodeString(parts[2]); err == nil {
		back = localPath(string(b))
	}
	tok, err := h.exchangeCode(ctx, q["code"], parts[1])
	if err != nil {
		return fail()
	}
	if _, err := h.Verifier.Verify(ctx, tok.IDToken); err != nil {
		return fail()
	}
	maxAge := sessionMaxAge
	if tok.ExpiresIn > 0 && tok.ExpiresIn < maxAge {
		maxAge = tok.ExpiresIn
	}
	return redirect(back, http.StatusSeeOther,
		cookieLine(SessionCookie, tok.IDToken, "/", maxAge, h.Config.secure()),
		cookieLine(signInCookie, "", "/auth/callback", -1, h.Config.secure()))
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

// signedOut clears the session cookie. With a hosted identity provider it then ends the
// provider's session too (else the next sign-in would need no password), and the provider
// comes back to the home page; otherwise it shows a page that says so.
func (h *Handler) signedOut(r *request) events.APIGatewayV2HTTPResponse {
	if to := h.Config.logoutURL(); to != "" {
		return redirect(to, http.StatusSeeOther, clearCookie(SessionCookie, h.Config.secure()))
	}
	resp := h.page(r, http.StatusOK, "signed-out", pageData{Title: "You have signed out"})
	resp.Cookies = append(resp.Cookies, clearCookie(SessionCookie, h.Config.secure()))
	return resp
}
