// Command local runs the whole application on this machine with no AWS account (`make run`):
// DynamoDB Local, the functions of template.yaml as their real bootstraps, a local API
// Gateway with its JWT authorizer, an identity provider for the demo users, SNS, the table's
// stream and the schedules. See package stack for the /dev endpoints.
//
// Environment: PORT (default 8080); BIN_DIR, a folder of prebuilt <folder>/bootstrap files
// (default build/local when it holds one for every function, else the functions are built);
// DATA_DIR (default .cache/data at the repository root), which keeps the data between runs.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/infra/template"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("local stack failed", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	port := 8080
	if p := os.Getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("PORT=%q is not a port number", p)
		}
		port = n
	}
	tplPath, err := template.Find()
	if err != nil {
		return err
	}
	root := filepath.Dir(tplPath)
	tpl, err := template.Load(tplPath)
	if err != nil {
		return err
	}
	dataDir := os.Getenv("DATA_DIR")
	if dataDir == "" {
		dataDir = filepath.Join(root, ".cache", "data")
	}
	binDir := os.Getenv("BIN_DIR")
	if binDir == "" && hasAllBootstraps(filepath.Join(root, "build", "local"), tpl) {
		binDir = filepath.Join(root, "build", "local")
	}
	if binDir == "" {
		log.Info("building the functions (make run builds them first)")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	st, err := stack.Start(ctx, stack.Config{
		Port: port, DataDir: dataDir, BinDir: binDir, Template: tplPath, Logger: log,
	})
	if err != nil {
		return err
	}
	defer st.Close()
	printSignIns(st, time.Since(start))
	<-ctx.Done()
	log.Info("stopping")
	return nil
}

func hasAllBootstraps(dir string, tpl *template.Template) bool {
	fns := tpl.Functions()
	for _, f := range fns {
		if st, err := os.Stat(filepath.Join(dir, f.Folder, "bootstrap")); err != nil || st.IsDir() {
			return false
		}
	}
	return len(fns) > 0
}

// printSignIns shows how to sign in as each demo user. The demo people are made up.
func printSignIns(st *stack.Stack, took time.Duration) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nKeepsafe local stack on %s (ready in %s)\n", st.URL, took.Round(100*time.Millisecond))
	fmt.Fprintf(&b, "  web pages:  %s/            sign in at %s/dev/sign-in\n", st.URL, st.URL)
	fmt.Fprintf(&b, "  API token:  curl -s -X POST %s/dev/token -d '{\"email\":\"<email>\"}'\n", st.URL)
	fmt.Fprintf(&b, "  alerts:     %s/dev/alerts\n", st.URL)
	fmt.Fprintf(&b, "  a school:   make newschool ARGS='-local -school <id> -name <name> -senior-dsl-email <email> -senior-dsl-name <name>'\n\nDemo sign-ins (no password):\n")
	for _, u := range st.Users {
		schools := make([]string, 0, len(u.Memberships))
		for s, roles := range u.Memberships {
			rs := make([]string, len(roles))
			for i, r := range roles {
				rs[i] = string(r)
			}
			schools = append(schools, string(s)+": "+strings.Join(rs, ", "))
		}
		sort.Strings(schools)
		fmt.Fprintf(&b, "  %-42s %-16s %s\n", u.Email, u.Name, strings.Join(schools, "; "))
	}
	fmt.Fprintln(os.Stdout, b.String())
}
