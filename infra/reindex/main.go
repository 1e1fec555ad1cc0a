// Command reindex puts the concerns and imports recorded before the newest lists existed onto
// them (data.md A98, A100, A111, A112), as recording one does now: for each school of the
// registry, its concerns read by time (A10: a Query, paged) with the author's keys each lacks
// and the index items of the staff it tagged and of a concern about staff; then its imports
// that are not checks and are on no list. Nothing lists a school's imports but that list
// itself, so they are found by one Scan of the table, filtered to imports without the list's
// keys and projected to their school and id (an operator's one-off; nothing else Scans). Run
// it once after deploying the version that reads those lists; run again, it writes nothing.
// It prints counts per school, never a name or an email.
//
// Against AWS (the stack's table; the credentials and region from the environment):
//
//	go run ./infra/reindex -table keepsafe-prod
//
// Against the local stack that `make run` is running, add -local instead of -table.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/tableflag"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "reindex:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	table := tableflag.Define(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, name, err := table.Open()
	if err != nil {
		return err
	}
	t, err := Reindex(ctx, db, name, out)
	fmt.Fprintf(out, "schools looked at: %d; concerns put on their author's list: %d, index items for the staff they tagged: %d, concerns put on the governors' list: %d; imports put on the recent imports: %d\n",
		t.Schools, t.Authors, t.Tagged, t.AboutStaff, t.Imports)
	return err
}

// Totals is what a reindex wrote across the schools.
type Totals struct {
	Schools int
	store.ReindexReport
	Imports int
}

// Reindex reindexes each school of the registry in turn, printing its counts to out.
func Reindex(ctx context.Context, db *dynamodb.Client, table string, out io.Writer) (Totals, error) {
	var t Totals
	st := store.New(db, table)
	all, err := st.Schools(ctx)
	if err != nil {
		return t, err
	}
	unlisted, err := importsToList(ctx, db, table)
	if err != nil {
		return t, err
	}
	for _, s := range all {
		r, err := st.ReindexConcerns(ctx, s.ID)
		t.Concerns, t.Authors, t.Tagged, t.AboutStaff = t.Concerns+r.Concerns, t.Authors+r.Authors, t.Tagged+r.Tagged, t.AboutStaff+r.AboutStaff
		if err != nil {
			return t, fmt.Errorf("school %s: %w", s.ID, err)
		}
		n, err := st.ReindexImports(ctx, s.ID, unlisted[s.ID])
		t.Imports += n
		if err != nil {
			return t, fmt.Errorf("school %s: %w", s.ID, err)
		}
		t.Schools++
		fmt.Fprintf(out, "%s: concerns looked at: %d, put on their author's list: %d, index items for tagged staff: %d, on the governors' list: %d; imports listed: %d\n",
			s.ID, r.Concerns, r.Authors, r.Tagged, r.AboutStaff, n)
	}
	return t, nil
}

// importsToList finds the imports on no list (not checks, without GSI1PK) by school: one
// Scan of the table, paged, filtered to them and projected to their school and id.
func importsToList(ctx context.Context, db dynamodb.ScanAPIClient, table string) (map[safeguarding.SchoolID][]string, error) {
	pager := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
		TableName:                &table,
		FilterExpression:         aws.String("#type = :import AND preview = :false AND attribute_not_exists(GSI1PK)"),
		ProjectionExpression:     aws.String("school, id"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":import": &types.AttributeValueMemberS{Value: "import"},
			":false": &types.AttributeValueMemberBOOL{Value: false}},
	})
	found := map[safeguarding.SchoolID][]string{}
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("imports to list: %w", err)
		}
		for _, item := range page.Items {
			school, _ := item["school"].(*types.AttributeValueMemberS)
			id, _ := item["id"].(*types.AttributeValueMemberS)
			if school != nil && id != nil {
				found[safeguarding.SchoolID(school.Value)] = append(found[safeguarding.SchoolID(school.Value)], id.Value)
			}
		}
	}
	return found, nil
}
