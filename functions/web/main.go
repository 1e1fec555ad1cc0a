// Command web serves Keepsafe's pages for phones and laptops: sign-in, the concern form, a
// concern and a pupil's chronology, a DSL's case work, My work and the SLT review, a class's
// acknowledgements, the DSLs' families who have gone quiet, the school calendar and the import
// of the school's MIS export. It calls the same use cases as the API functions.
package main

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/bucket"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/identity"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/attendance"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/reports"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/retention"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/settings"
	staffing "github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
	"github.com/keepsafe-schools/keepsafe/shared/store"
	"github.com/keepsafe-schools/keepsafe/shared/userpool"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := awsenv.Config()
	if err != nil {
		logger.Error("loading AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	// A concern's files (rule C6): upload URLs for the attachments bucket, at the local stack's
	// S3 when AWS_ENDPOINT_URL_S3 is set.
	uploads, err := bucket.New(cfg, os.Getenv("ATTACHMENTS_BUCKET"), os.Getenv("AWS_ENDPOINT_URL_S3"))
	if err != nil {
		logger.Error("the attachments bucket", "error", err.Error())
		os.Exit(1)
	}
	st := store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME"))
	client := &http.Client{Timeout: 5 * time.Second}
	cal := calendar.EnglandAndWales()
	h := &Handler{
		Config: Config{
			AppURL:    strings.TrimRight(os.Getenv("APP_URL"), "/"),
			ClientID:  os.Getenv("TOKEN_AUDIENCE"),
			SignInURL: os.Getenv("SIGN_IN_URL"),
			TokenURL:  os.Getenv("TOKEN_URL"),
		},
		Concerns: concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(),
			Calendar: cal, NewID: store.NewID},
		Cases:      casework.Cases{Store: st, Calendar: cal, NewID: store.NewID},
		Audit:      audit.Trail{Store: st, NewID: store.NewID},
		Calendar:   cal,
		Directory:  st,
		Engagement: engagement.Engagement{Store: st, BankHolidays: cal, NewID: store.NewID},
		Closures:   engagement.Closures{Store: st, NewID: store.NewID},
		Contacts:   contact.Contacts{Store: st, NewID: store.NewID},
		Classes:    engagement.ClassLists{Store: st},
		// The school's own categories and sub-categories (rule C2).
		Catalogues:  concerns.Catalogues{Store: st, NewID: store.NewID},
		Attachments: concerns.Attachments{Store: st, NewID: store.NewID, Signer: uploads},
		// Home visits (rules V1-V8).
		Visits: visits.Visits{Store: st, Calendar: cal, Catalogue: concerns.PolicyCatalogue(), NewID: store.NewID},
		// The school's MIS export (rule P1).
		Imports:       imports.Imports{Store: st, NewID: store.NewID},
		ImportUploads: uploads,
		// The pupils below 90% attendance (rule C9).
		Attendance: attendance.List{Store: st, NewID: store.NewID},
		// Records reaching the 25th birthday and legal holds (rule S7).
		Retention: retention.Service{Store: st, NewID: store.NewID},
		Settings:  settings.Service{Store: st, NewID: store.NewID},
		// The staff pages make and disable accounts in the user pool (rule P1).
		Staff: staffing.Service{Store: st, Accounts: userpool.New(userpool.NewClient(cfg), os.Getenv("USER_POOL_ID")), NewID: store.NewID},
		// A pupil's record off the screen (rule D10).
		Exports: exports.Exports{Store: st, NewID: store.NewID},
		// The governors' and Ofsted's reports (rule D10).
		Reports: reports.Reports{Store: st, NewID: store.NewID},
		// A pupil's file sent to their new school (rule S5).
		Transfers: transfers.Transfers{Store: st, NewID: store.NewID, Random: rand.Reader, Calendar: cal},
		Archives:  uploads,
		// The key set is read on the first sign-in check and cached across invocations.
		Verifier: identity.NewVerifier(os.Getenv("JWKS_URL"), os.Getenv("TOKEN_ISSUER"), os.Getenv("TOKEN_AUDIENCE"), client),
		Sessions: st,
		HTTP:     client,
		Logger:   logger,
	}
	h.Config.UploadOrigin = uploads.Origin()
	lambda.Start(h.Handle)
}
