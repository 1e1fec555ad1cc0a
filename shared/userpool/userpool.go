// Package userpool is the Cognito user pool as the staff pages and API administer it (rules
// P1, S4, S8): an account made for a new member of staff (an invitation by email; they choose
// a password and set up their authenticator app at first sign-in, as the pool requires), its
// immutable subject read back for their profile, and a leaver's account disabled and signed
// out of every device. In the local stack the same calls reach the local identity provider
// (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER).
package userpool

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
)

// API is the part of the Cognito client the pool uses.
type API interface {
	AdminCreateUser(ctx context.Context, in *cip.AdminCreateUserInput, opts ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error)
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, opts ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminEnableUser(ctx context.Context, in *cip.AdminEnableUserInput, opts ...func(*cip.Options)) (*cip.AdminEnableUserOutput, error)
	AdminDisableUser(ctx context.Context, in *cip.AdminDisableUserInput, opts ...func(*cip.Options)) (*cip.AdminDisableUserOutput, error)
	AdminUserGlobalSignOut(ctx context.Context, in *cip.AdminUserGlobalSignOutInput, opts ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error)
}

// NewClient is the Cognito client for cfg (its endpoint from the environment, see awsenv).
func NewClient(cfg aws.Config) *cip.Client { return cip.NewFromConfig(cfg) }

// Pool administers one user pool.
type Pool struct {
	api API
	id  string
}

var _ staff.Accounts = (*Pool)(nil)

// New is the pool with id through api.
func New(api API, id string) *Pool { return &Pool{api: api, id: id} }

// Invite makes the account of email (the pool's username is the email) with the email
// already verified, which sends the invitation with a temporary password; an account that
// exists is enabled instead (someone coming back). It returns the account's subject.
func (p *Pool) Invite(ctx context.Context, email, name string) (string, error) {
	_, err := p.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: &p.id, Username: &email,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: &email},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
			{Name: aws.String("name"), Value: &name},
		},
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
	})
	var exists *types.UsernameExistsException
	switch {
	case errors.As(err, &exists):
		if _, err := p.api.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: &p.id, Username: &email}); err != nil {
			return "", fmt.Errorf("userpool: enable account: %w", err)
		}
	case err != nil:
		return "", fmt.Errorf("userpool: create account: %w", err)
	}
	out, err := p.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &p.id, Username: &email})
	if err != nil {
		return "", fmt.Errorf("userpool: read account: %w", err)
	}
	for _, a := range out.UserAttributes {
		if aws.ToString(a.Name) == "sub" && aws.ToString(a.Value) != "" {
			return aws.ToString(a.Value), nil
		}
	}
	return "", errors.New("userpool: the account has no subject")
}

// Disable disables the account of email and signs it out everywhere (its refresh tokens are
// revoked); an email without an account has nothing to disable.
func (p *Pool) Disable(ctx context.Context, email string) error {
	_, err := p.api.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: &p.id, Username: &email})
	var missing *types.UserNotFoundException
	if errors.As(err, &missing) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("userpool: disable account: %w", err)
	}
	if _, err := p.api.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &p.id, Username: &email}); err != nil {
		return fmt.Errorf("userpool: sign out everywhere: %w", err)
	}
	return nil
}
