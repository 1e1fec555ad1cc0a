package main

import (
	"context"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/seals"
)

// trail is the part of audit.Trail this function serves.
type trail interface {
	Read(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, f audit.Filter) (audit.Page, error)
}

var _ trail = audit.Trail{}

// verifier is the part of seals.Verifier this function serves.
type verifier interface {
	Verify(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, from, to string) (seals.Report, error)
}

var _ verifier = seals.Verifier{}

type handler struct {
	trail    trail
	verifier verifier
}

// Handle serves an API Gateway event.
func (h handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.routes().Handle(ctx, req)
}

// routes maps each route of the AuditFunction in template.yaml; each route is served by a
// file of its own (read.go, verify.go).
func (h handler) routes() httpapi.Router {
	return httpapi.Router{
		"GET /api/schools/{school}/audit":        h.read,
		"GET /api/schools/{school}/audit/verify": h.verify,
	}
}
