// Command relook moves every family saved before the escalation job's look index was sharded
// onto its shard's keys (data.md A110), so the morning run reads it: for each school of the
// registry, one Query of its families list and an UpdateItem of each family still on the old
// keys. Run it once after deploying the sharded index, before the next morning run; run
// again, it moves nothing.
//
// Against AWS (the stack's table; the credentials and region from the environment):
//
//	go run ./infra/relook -table keepsafe-prod
//
// Against the local stack that `make run` is running, add -local instead of -table.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/keepsafe-schools/keepsafe/infra/tableflag"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "relook:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("relook", flag.ContinueOnError)
	table := tableflag.Define(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, name, err := table.Open()
	if err != nil {
		return err
	}
	st := store.New(db, name)
	schools, moved, err := Relook(ctx, st)
	fmt.Printf("%d schools looked at, %d families moved onto the sharded look index.\n", schools, moved)
	return err
}

// Relook moves each school's families still on the old look keys, school by school.
func Relook(ctx context.Context, st *store.Store) (schools, moved int, err error) {
	all, err := st.EscalationSchools(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, s := range all {
		n, err := st.RelookFamilies(ctx, s.ID)
		moved += n
		if err != nil {
			return schools, moved, fmt.Errorf("school %s: %w", s.ID, err)
		}
		schools++
	}
	return schools, moved, nil
}
