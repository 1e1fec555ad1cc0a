package main

import (
	"context"
	"net/http"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
)

// entry is one line of the audit trail as the API gives it.
type entry struct {
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Who        string    `json:"who"`
	Action     string    `json:"action"`
	What       string    `json:"what"`
	On         string    `json:"on"`
	Pupils     []string  `json:"pupils"`
	MorePupils int       `json:"morePupils"`
}

type readResponse struct {
	From    string  `json:"from"`
	To      string  `json:"to"`
	Entries []entry `json:"entries"`
	Next    string  `json:"next,omitempty"`
}

// queryFields are the query parameters the route reads; any other is refused, so a mistyped
// filter never reads the whole school instead.
var queryFields = []string{"pupil", "person", "from", "to", "cursor"}

// read is a page of the school's audit trail for its Senior DSL and DSLs (rule P4), newest
// first; each reading is audited.
func (h handler) read(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := httpapi.KnownQuery(req, queryFields...); err != nil {
		return httpapi.Response{}, err
	}
	q := req.QueryStringParameters
	page, err := h.trail.Read(ctx, who, httpapi.School(req), audit.Filter{Pupil: safeguarding.PupilID(q["pupil"]), Person: q["person"],
		From: q["from"], To: q["to"], Cursor: q["cursor"]})
	if err != nil {
		return httpapi.Response{}, err
	}
	out := readResponse{From: page.From.Format(time.DateOnly), To: page.To.Format(time.DateOnly), Entries: []entry{}, Next: page.Next}
	for _, l := range page.Lines {
		pupils := l.Pupils
		if pupils == nil {
			pupils = []string{}
		}
		out.Entries = append(out.Entries, entry{At: l.At.UTC(), Actor: l.Actor, Who: l.Who, Action: l.Action, What: l.What, On: l.On,
			Pupils: pupils, MorePupils: l.MorePupils})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}
