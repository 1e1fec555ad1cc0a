package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// verifyResponse is the outcome of re-computing the seals over a range of days.
type verifyResponse struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Verified bool   `json:"verified"`
	// AnchoredDay is the day whose anchored seal the check started from; absent when none was
	// found and the check started from the school's first seal.
	AnchoredDay string         `json:"anchoredDay,omitempty"`
	Seals       int            `json:"seals"`
	Entries     int            `json:"entries"`
	Unsealed    int            `json:"unsealed"`
	Problem     *verifyProblem `json:"problem,omitempty"`
}

// verifyProblem names the first entry or seal that no longer matches.
type verifyProblem struct {
	Kind   string       `json:"kind"`
	Day    string       `json:"day"`
	Seal   int          `json:"seal"`
	Entry  *verifyEntry `json:"entry,omitempty"`
	Detail string       `json:"detail"`
}

// verifyEntry names an audit entry by its time and id.
type verifyEntry struct {
	At time.Time `json:"at"`
	ID string    `json:"id"`
}

var verifyFields = []string{"from", "to"}

// verify re-computes the school's audit seals over the days from..to (today when absent) for
// its Senior DSL and names the first entry or seal that no longer matches (rule P4).
func (h handler) verify(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := httpapi.KnownQuery(req, verifyFields...); err != nil {
		return httpapi.Response{}, err
	}
	today := who.At.In(safeguarding.London).Format(time.DateOnly)
	from, to := req.QueryStringParameters["from"], req.QueryStringParameters["to"]
	if to == "" {
		to = today
	}
	if from == "" {
		from = to
	}
	rep, err := h.verifier.Verify(ctx, who, httpapi.School(req), from, to)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := verifyResponse{From: rep.From, To: rep.To, Verified: rep.Problem == nil, AnchoredDay: rep.AnchorDay,
		Seals: rep.Seals, Entries: rep.Entries, Unsealed: rep.Unsealed}
	if p := rep.Problem; p != nil {
		out.Problem = &verifyProblem{Kind: p.Kind, Day: p.Day, Seal: p.Seq, Detail: p.Words()}
		if stamp, id, ok := strings.Cut(p.Key, "#"); ok {
			at, _ := time.Parse("2006-01-02T15:04:05.000000000Z", stamp)
			id, _, _ = strings.Cut(id, "#") // an index item's key names its entry's id first
			out.Problem.Entry = &verifyEntry{At: at, ID: id}
		}
	}
	return httpapi.JSON(http.StatusOK, out), nil
}
