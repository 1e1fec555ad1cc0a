package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// The load benchmark and the burst run the whole product on the local stack (every function
// as its real bootstrap behind the local gateway, real ID tokens, DynamoDB Local, the stream
// and the local SNS). Teachers of both schools of the demo federation record concerns and
// read chronologies; the yardstick is DynamoDB Local itself, reached with the SDK from the
// same process: a bare TransactWriteItems of the same items a concern's write made, and a bare
// Query of the pupil's partition the chronology reads.

// loadAt is the local time the stack's clock is pinned to: a Monday morning of term.
var loadAt = time.Date(2026, 11, 23, 10, 0, 0, 0, safeguarding.London)

// startLoadStack starts the product for the load benchmark and the burst, its clock pinned.
func startLoadStack(ctx context.Context) (*stack.Stack, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	st, err := stack.Start(ctx, stack.Config{InMemory: true, Measured: true, DisableScheduler: true, MaxProcs: 8,
		FunctionOutput: io.Discard, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	st.Clock().Pin(loadAt)
	return st, nil
}

// author is a teacher of a school of the demo federation, who records concerns about its
// pupils; alerted are the people every concern of theirs alerts (the DSLs and Senior DSLs).
type author struct {
	school  safeguarding.SchoolID
	email   string
	token   string
	pupils  []safeguarding.PupilID
	alerted []string
}

// loadAuthors finds a teacher (not a DSL) of each school, signs them in, and names the pupils
// they write about.
func loadAuthors(ctx context.Context, st *stack.Stack, client *http.Client) ([]author, error) {
	var out []author
	for _, school := range []safeguarding.SchoolID{seed.BrookLane, seed.Hillcrest} {
		a := author{school: school}
		for _, u := range st.Users {
			roles := u.Memberships[school]
			switch {
			case slices.Contains(roles, safeguarding.RoleDSL) || slices.Contains(roles, safeguarding.RoleSeniorDSL):
				a.alerted = append(a.alerted, u.Email)
			case a.email == "" && slices.Contains(roles, safeguarding.RoleTeacher):
				a.email = u.Email
			}
		}
		if a.email == "" || len(a.alerted) == 0 {
			return nil, fmt.Errorf("the demo school %s has no teacher or no DSL", school)
		}
		var tok struct {
			Token string `json:"token"`
		}
		if status, err := postJSON(ctx, client, st.URL+"/dev/token", "", "", map[string]string{"email": a.email}, &tok); err != nil || status != 200 {
			return nil, fmt.Errorf("a token for %s: %d %v", a.email, status, err)
		}
		a.token = tok.Token
		prefix := "bl"
		if school == seed.Hillcrest {
			prefix = "hc"
		}
		for i := 1; i <= 6; i++ {
			a.pupils = append(a.pupils, safeguarding.PupilID(fmt.Sprintf("%s-%02d", prefix, i)))
		}
		out = append(out, a)
	}
	return out, nil
}

func postJSON(ctx context.Context, client *http.Client, url, token, key string, body, out any) (int, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s: %w", raw, err)
		}
	}
	return resp.StatusCode, nil
}

func getStatus(ctx context.Context, client *http.Client, url, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// recorded is a concern the gateway answered 201 for.
type recorded struct {
	id, reference string
	school        safeguarding.SchoolID
	alerted       []string
	at            time.Time // when the answer came
}

// recordConcern posts one concern about a pupil of the author's school.
func recordConcern(ctx context.Context, client *http.Client, base string, a author, pupil safeguarding.PupilID, key string, high bool) (recorded, error) {
	var out struct {
		ID        string `json:"id"`
		Reference string `json:"reference"`
	}
	body := map[string]any{
		"pupilIds": []string{string(pupil)}, "category": "wellbeing", "highPriority": high,
		"observedAt": loadAt.Add(-time.Hour).UTC().Format(time.RFC3339), "details": "Came in tired and hungry again this morning.",
	}
	status, err := postJSON(ctx, client, base+"/api/schools/"+string(a.school)+"/concerns", a.token, key, body, &out)
	if err != nil {
		return recorded{}, err
	}
	if status != http.StatusCreated || out.ID == "" {
		return recorded{}, fmt.Errorf("a concern about %s: %d", pupil, status)
	}
	return recorded{id: out.ID, reference: out.Reference, school: a.school, alerted: a.alerted, at: time.Now()}, nil
}

func newLoadClient() *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128}}
}

// latencies are one kind of request's times at one level of concurrency.
type latencies struct {
	times []time.Duration
	wall  time.Duration
}

func (l latencies) pct(p float64) time.Duration {
	if len(l.times) == 0 {
		return 0
	}
	s := slices.Clone(l.times)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func (l latencies) perSecond() float64 {
	if l.wall <= 0 {
		return 0
	}
	return float64(len(l.times)) / l.wall.Seconds()
}

// loadLevel is one level of concurrency: the product's writes and reads, then the yardstick's.
type loadLevel struct {
	Clients                          int
	Write, Read, BareWrite, BareRead latencies
}

type loadResult struct {
	Levels   []loadLevel
	PerLevel int // requests of each kind at each level
	Items    int // items in a concern's transaction, copied by the yardstick
	Bytes    int // their size (attribute names and values)
	Recorded int // concerns answered 201, every level
	Stored   int // concern items the table holds for them, read back after the run
	Distinct int // distinct concern ids among the answers
}

// concernItems finds what one concern's write put in the table: the items of the new concern's
// partition and every other item the write made (its chronology entry, audit entry, alerts,
// request record, counters), told apart by comparing the table before and after it (a Scan
// here is the benchmark's, to find a yardstick, never the product's).
func concernItems(ctx context.Context, db *dynamodb.Client, table string, write func() error) ([]map[string]types.AttributeValue, error) {
	before, err := scanKeys(ctx, db, table)
	if err != nil {
		return nil, err
	}
	if err := write(); err != nil {
		return nil, err
	}
	var out []map[string]types.AttributeValue
	pager := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			if !before[itemKey(it)] {
				out = append(out, it)
			}
		}
	}
	return out, nil
}

func itemKey(it map[string]types.AttributeValue) string {
	pk, _ := it["PK"].(*types.AttributeValueMemberS)
	sk, _ := it["SK"].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return ""
	}
	return pk.Value + "\x00" + sk.Value
}

func scanKeys(ctx context.Context, db *dynamodb.Client, table string) (map[string]bool, error) {
	out := map[string]bool{}
	pager := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("PK, SK")})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			out[itemKey(it)] = true
		}
	}
	return out, nil
}

// bareWrite is the yardstick's write: the concern's items under new partition keys, each Put
// on the condition that it does not exist, in one TransactWriteItems, as the function writes them.
func bareWrite(ctx context.Context, db *dynamodb.Client, table string, items []map[string]types.AttributeValue, n int) error {
	tx := make([]types.TransactWriteItem, 0, len(items))
	for _, it := range items {
		cp := make(map[string]types.AttributeValue, len(it))
		for k, v := range it {
			cp[k] = v
		}
		pk := it["PK"].(*types.AttributeValueMemberS).Value
		cp["PK"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("BENCH#%d#%s", n, pk)}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: cp, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	return err
}

// bareRead is the yardstick's read: a Query of the pupil's partition, the items the chronology
// reads (A8), every page.
func bareRead(ctx context.Context, db *dynamodb.Client, table string, school safeguarding.SchoolID, pupil safeguarding.PupilID) error {
	pager := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{TableName: &table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "SCHOOL#" + string(school) + "#PUPIL#" + string(pupil)}}})
	for pager.HasMorePages() {
		if _, err := pager.NextPage(ctx); err != nil {
			return err
		}
	}
	return nil
}

// spread runs n operations on clients goroutines, operation i on client i%clients, and
// returns each operation's time and the wall time of them all.
func spread(ctx context.Context, clients, n int, op func(ctx context.Context, client, i int) error) (latencies, error) {
	l := latencies{times: make([]time.Duration, n)}
	g, gctx := errgroup.WithContext(ctx)
	started := time.Now()
	for c := range clients {
		g.Go(func() error {
			for i := c; i < n; i += clients {
				t := time.Now()
				if err := op(gctx, c, i); err != nil {
					return err
				}
				l.times[i] = time.Since(t)
			}
			return nil
		})
	}
	err := g.Wait()
	l.wall = time.Since(started)
	return l, err
}

// loadBench runs perLevel concern writes, then as many chronology reads, at each number of
// clients, each client a teacher of one of the two schools in turn; then the yardstick's bare
// writes and reads at the same number of clients.
func loadBench(ctx context.Context, st *stack.Stack, levels []int, perLevel int) (loadResult, error) {
	r := loadResult{PerLevel: perLevel}
	client := newLoadClient()
	authors, err := loadAuthors(ctx, st, client)
	if err != nil {
		return r, err
	}
	db := st.DynamoDB()
	// One concern first, alone, to find the items a concern's write makes.
	var first recorded
	items, err := concernItems(ctx, db, st.TableName, func() error {
		var err error
		first, err = recordConcern(ctx, client, st.URL, authors[0], authors[0].pupils[0], "load-first", false)
		return err
	})
	if err != nil {
		return r, err
	}
	r.Items = len(items)
	for _, it := range items {
		r.Bytes += itemSize(it)
	}
	ids := map[string]int{first.id: 1}
	var mu sync.Mutex
	bare := 0
	for _, clients := range levels {
		lv := loadLevel{Clients: clients}
		pupilOf := func(c, i int) (author, safeguarding.PupilID) {
			a := authors[c%len(authors)]
			return a, a.pupils[i%len(a.pupils)]
		}
		// Each phase starts once the stack has settled (the stream read to its end, the alerts
		// of the writes before published), so none pays for another's background work.
		if err := settle(ctx, st); err != nil {
			return r, err
		}
		if lv.Write, err = spread(ctx, clients, perLevel, func(ctx context.Context, c, i int) error {
			a, p := pupilOf(c, i)
			rec, err := recordConcern(ctx, client, st.URL, a, p, fmt.Sprintf("load-%d-%d", clients, i), false)
			if err != nil {
				return err
			}
			mu.Lock()
			ids[rec.id]++
			r.Recorded++
			mu.Unlock()
			return nil
		}); err != nil {
			return r, err
		}
		if err := settle(ctx, st); err != nil {
			return r, err
		}
		if lv.Read, err = spread(ctx, clients, perLevel, func(ctx context.Context, c, i int) error {
			a, p := pupilOf(c, i)
			status, err := getStatus(ctx, client, st.URL+"/api/schools/"+string(a.school)+"/pupils/"+string(p)+"/chronology", a.token)
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("the chronology of %s: %d", p, status)
			}
			return err
		}); err != nil {
			return r, err
		}
		base := bare
		bare += perLevel
		if err := settle(ctx, st); err != nil {
			return r, err
		}
		if lv.BareWrite, err = spread(ctx, clients, perLevel, func(ctx context.Context, c, i int) error {
			return bareWrite(ctx, db, st.TableName, items, base+i)
		}); err != nil {
			return r, fmt.Errorf("the bare transaction: %w", err)
		}
		if lv.BareRead, err = spread(ctx, clients, perLevel, func(ctx context.Context, c, i int) error {
			a, p := pupilOf(c, i)
			return bareRead(ctx, db, st.TableName, a.school, p)
		}); err != nil {
			return r, fmt.Errorf("the bare Query: %w", err)
		}
		r.Levels = append(r.Levels, lv)
	}
	r.Recorded++ // the first
	r.Distinct = len(ids)
	// Every concern answered 201 is in the table once: the schools' concern lists (A10) hold
	// one item per id.
	for _, a := range authors {
		n, err := countConcerns(ctx, db, st.TableName, a.school, ids)
		if err != nil {
			return r, err
		}
		r.Stored += n
	}
	return r, nil
}

func settle(ctx context.Context, st *stack.Stack) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := st.Settle(ctx); err != nil {
		return fmt.Errorf("the local stack did not settle: %w", err)
	}
	return nil
}

// countConcerns counts the concern items of a school whose id is among ids.
func countConcerns(ctx context.Context, db *dynamodb.Client, table string, school safeguarding.SchoolID, ids map[string]int) (int, error) {
	n := 0
	pager := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{TableName: &table, IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "SCHOOL#" + string(school) + "#CONCERNS"}}})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, it := range page.Items {
			if strings.HasPrefix(itemKey(it), "BENCH#") {
				continue // the yardstick's copy, which keeps the concern's index keys
			}
			if id, ok := it["id"].(*types.AttributeValueMemberS); ok && ids[id.Value] > 0 {
				n++
			}
		}
	}
	return n, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func (r loadResult) markdown(md *strings.Builder) {
	fmt.Fprintf(md, "\n## Under load: concerns and chronologies through the local gateway\n\n"+
		"The whole product on the local stack (`infra/local/stack`: each function its real bootstrap behind the local gateway, at most 8 processes a function, "+
		"real ID tokens checked by the gateway's JWT authorizer, DynamoDB Local, the stream feeding the alerts function). "+
		"At each number of clients, %d concerns recorded (`POST /api/schools/{school}/concerns`, one pupil, normal priority, an Idempotency-Key each), "+
		"then %d chronologies read (`GET .../pupils/{pupil}/chronology`, audited), the clients taking turns between a teacher of Brook Lane and one of Hillcrest, "+
		"six pupils each. The yardstick, made in the same run against the same DynamoDB Local from the benchmark's own process: "+
		"a bare `TransactWriteItems` of the same %d items a concern's write made (%s bytes, found by comparing the table before and after one concern; "+
		"each Put under a new partition key, conditioned on `attribute_not_exists(PK)`), and a bare `Query` of the pupil's partition the chronology reads, "+
		"as many of each at the same number of clients. Each phase starts once the stack has settled (the stream read to its end). Times are this machine's (2 CPUs shared by the clients, the gateway, the functions and DynamoDB Local), not AWS's.\n\n",
		r.PerLevel, r.PerLevel, r.Items, thousands(r.Bytes))
	md.WriteString("| clients | concern write p50 | p99 | per second | bare TransactWriteItems p50 | p99 | per second | write p99 / bare p99 |\n|---|---|---|---|---|---|---|---|\n")
	for _, l := range r.Levels {
		fmt.Fprintf(md, "| %d | %s | %s | %.0f | %s | %s | %.0f | %.2fx |\n", l.Clients, ms(l.Write.pct(0.5)), ms(l.Write.pct(0.99)), l.Write.perSecond(),
			ms(l.BareWrite.pct(0.5)), ms(l.BareWrite.pct(0.99)), l.BareWrite.perSecond(), ratio(l.Write.pct(0.99), l.BareWrite.pct(0.99)))
	}
	md.WriteString("\n| clients | chronology read p50 | p99 | per second | bare Query p50 | p99 | per second | read p99 / bare p99 |\n|---|---|---|---|---|---|---|---|\n")
	for _, l := range r.Levels {
		fmt.Fprintf(md, "| %d | %s | %s | %.0f | %s | %s | %.0f | %.2fx |\n", l.Clients, ms(l.Read.pct(0.5)), ms(l.Read.pct(0.99)), l.Read.perSecond(),
			ms(l.BareRead.pct(0.5)), ms(l.BareRead.pct(0.99)), l.BareRead.perSecond(), ratio(l.Read.pct(0.99), l.BareRead.pct(0.99)))
	}
	fmt.Fprintf(md, "\n- Recorded: %d concerns answered 201 (%d distinct ids), %d found once each in the schools' concern lists afterwards.\n", r.Recorded, r.Distinct, r.Stored)
	for _, l := range r.Levels {
		if l.Clients != 8 {
			continue
		}
		x := ratio(l.Write.pct(0.99), l.BareWrite.pct(0.99))
		verdict := "**met**"
		if x > 2 {
			verdict = "**not met**"
		}
		fmt.Fprintf(md, "- Target: at 8 clients, the p99 of a concern write within 2x of the bare transaction's p99: %s (%.2fx: %s against %s). "+
			"A write through the gateway also verifies the token, reads what the concern needs (one BatchGetItem) and starts a function process's work, "+
			"on the same two CPUs as DynamoDB Local.\n", verdict, x, ms(l.Write.pct(0.99)), ms(l.BareWrite.pct(0.99)))
	}
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
