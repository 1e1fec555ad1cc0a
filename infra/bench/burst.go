package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
)

// burstResult is a serious incident: many concerns across the federation at once, each high
// priority, so each alerts every DSL and Senior DSL of its school by SMS and email.
type burstResult struct {
	Concerns, Clients int
	Recorded          int           // answered 201
	Distinct          int           // distinct concern ids among them
	Stored            int           // found in the schools' concern lists afterwards
	Writes            time.Duration // from the first request to the last 201
	Expected          int           // alerts the rules call for (each DSL and Senior DSL, SMS and email)
	Alerted           int           // of those, published to the local SNS
	Extra             int           // published more than once
	Concerned         int           // concerns whose every DSL was alerted
	LastAlert         time.Duration // from the last 201 to the last alert seen published
	Schools           int
}

// burst records n high-priority concerns across the federation's schools from clients at
// once, then waits (up to wait) until every DSL of each concern's school has its SMS and email
// in the local SNS, watching it every 20 ms.
func burst(ctx context.Context, st *stack.Stack, n, clients int, wait time.Duration) (burstResult, error) {
	r := burstResult{Concerns: n, Clients: clients}
	client := newLoadClient()
	authors, err := loadAuthors(ctx, st, client)
	if err != nil {
		return r, err
	}
	r.Schools = len(authors)
	seen := map[string]bool{}
	for _, a := range st.Alerts() {
		seen[a.ID] = true
	}
	recs := make([]recorded, n)
	var mu sync.Mutex
	var last time.Time
	lat, err := spread(ctx, clients, n, func(ctx context.Context, c, i int) error {
		a := authors[i%len(authors)]
		rec, err := recordConcern(ctx, client, st.URL, a, a.pupils[(i/len(authors))%len(a.pupils)], fmt.Sprintf("burst-%d", i), true)
		if err != nil {
			return err
		}
		recs[i] = rec
		mu.Lock()
		if rec.at.After(last) {
			last = rec.at
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return r, err
	}
	r.Writes = lat.wall
	r.Recorded = n
	byRef := map[string]recorded{}
	ids := map[string]int{}
	for _, rec := range recs {
		byRef[rec.reference] = rec
		ids[rec.id]++
		r.Expected += 2 * len(rec.alerted)
	}
	r.Distinct = len(ids)
	// Watch the local SNS until every alert the rules call for is there.
	deadline := time.Now().Add(wait)
	var lastSeen time.Time
	counted := 0
	got := map[string]int{} // reference#recipient#channel -> times published
	for {
		now := time.Now()
		for _, a := range st.Alerts() {
			if seen[a.ID] {
				continue
			}
			seen[a.ID] = true
			if _, ok := byRef[a.Attributes["reference"]]; !ok {
				continue
			}
			got[a.Attributes["reference"]+"#"+a.Attributes["recipient"]+"#"+a.Attributes["channel"]]++
			lastSeen = now
		}
		counted = 0
		for ref, rec := range byRef {
			for _, who := range rec.alerted {
				for _, ch := range []string{"sms", "email"} {
					if got[ref+"#"+who+"#"+ch] > 0 {
						counted++
					}
				}
			}
		}
		if counted == r.Expected || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	r.Alerted = counted
	for _, k := range got {
		if k > 1 {
			r.Extra += k - 1
		}
	}
	for ref, rec := range byRef {
		all := true
		for _, who := range rec.alerted {
			for _, ch := range []string{"sms", "email"} {
				all = all && got[ref+"#"+who+"#"+ch] > 0
			}
		}
		if all {
			r.Concerned++
		}
	}
	if !lastSeen.IsZero() {
		r.LastAlert = lastSeen.Sub(last)
	}
	db := st.DynamoDB()
	for _, a := range authors {
		k, err := countConcerns(ctx, db, st.TableName, a.school, ids)
		if err != nil {
			return r, err
		}
		r.Stored += k
	}
	return r, nil
}

func (r burstResult) markdown(md *strings.Builder) {
	fmt.Fprintf(md, "\n## A burst: a serious incident across the federation\n\n"+
		"%d high-priority concerns recorded through the local gateway from %d clients at once, the teachers of the demo federation's %d schools taking turns "+
		"(the whole product on the local stack, as for the load benchmark). Each concern alerts every DSL and the Senior DSL of its school by SMS and by email (rule C4): "+
		"its transaction writes the alerts to the outbox, the table's stream carries them to the `alerts` function, which publishes each to the local SNS (`/dev/alerts`), "+
		"watched every 20 ms. Times are this machine's, not AWS's.\n\n", r.Concerns, r.Clients, r.Schools)
	md.WriteString("| concerns | answered 201 | stored once | writes took | alerts called for | published | published twice | concerns with every DSL alerted | last write to last alert |\n|---|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(md, "| %d | %d | %d | %s | %d | %d | %d | %d | %s |\n", r.Concerns, r.Recorded, r.Stored, r.Writes.Round(10*time.Millisecond),
		r.Expected, r.Alerted, r.Extra, r.Concerned, r.LastAlert.Round(10*time.Millisecond))
	within := "within a minute"
	if r.Writes > time.Minute {
		within = "**not** within a minute on this machine"
	}
	fmt.Fprintf(md, "\n- The %d concerns were recorded %s (%.0f a second).\n", r.Concerns, within, float64(r.Recorded)/r.Writes.Seconds())
}
