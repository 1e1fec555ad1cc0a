package safeguarding

import "context"

// Identity is who the identity provider says sent a request (rule S8): the account's
// immutable subject and the email it verified. An email alone never makes anyone someone:
// another account may be given, or give itself, an email that reads the same.
type Identity struct {
	Email   string // lower-cased
	Subject string
}

type identityKey struct{}

// WithIdentity returns a context that carries the verified identity of the request's sender.
// The API's router and the web's session set it before any use case runs.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity WithIdentity put in ctx.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// Matches reports whether the person on record is the sender (rule S8): a profile is the
// sender's only when its subject is the one the provider verified. A profile without a
// subject matches no one.
func (id Identity) Matches(p Principal) bool {
	return p.Subject != "" && p.Subject == id.Subject && p.Email == id.Email
}
