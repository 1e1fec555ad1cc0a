# Keepsafe. `make help` lists the targets.

SHELL := /bin/bash

GO          ?= go
GOARCH      ?= arm64
HOST_GOARCH := $(shell $(GO) env GOARCH)
HOST_GOOS   := $(shell $(GO) env GOOS)
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOSEC       ?= github.com/securego/gosec/v2/cmd/gosec@v2.30.0
FUZZTIME    ?= 20s
TEST_FLAGS  ?= -count=1 -timeout 20m -vet=off
# The longest test packages, named first so that `go test` starts them first and the short
# ones fill in beside them.
SLOW_FIRST  := ./functions/web/ ./infra/soak/ ./infra/bench/ ./infra/e2e/ ./functions/visits/

# One Lambda per folder of functions/ that holds a main package.
FUNCTIONS := $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go))

.PHONY: help build bootstraps run newschool redrive relook reindex test bench lint fmt-check vet staticcheck gosec depcheck openapi-lint deploy clean fuzz node_modules dynamodb-local

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build build/<function>/bootstrap for Lambda (GOARCH=arm64; GOARCH=amd64 for this machine)
	@$(MAKE) --no-print-directory bootstraps OUT=build GOOS=linux GOARCH=$(GOARCH)

# bootstraps builds every function as Lambda runs it, into $(OUT)/<function>/bootstrap.
bootstraps:
	@set -e; for f in $(FUNCTIONS); do \
		echo "$(OUT)/$$f/bootstrap ($(GOOS)/$(GOARCH))"; \
		GOOS=$(GOOS) GOARCH=$(GOARCH) CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
			-o $(OUT)/$$f/bootstrap ./functions/$$f; \
	done

run: node_modules dynamodb-local ## Run the local stack on http://127.0.0.1:8080 (PORT overrides)
	@rm -rf build/local
	@$(MAKE) --no-print-directory bootstraps OUT=build/local GOOS=$(HOST_GOOS) GOARCH=$(HOST_GOARCH)
	$(GO) run ./infra/local

newschool: ## Create a school and its first Senior DSL: ARGS='-school id -name "..." -senior-dsl-email ... -senior-dsl-name "..."' (add -local for make run's stack)
	$(GO) run ./infra/newschool $(ARGS)

redrive: ## Send the alerts never marked sent and move escalation dead letters back (make run's stack; ARGS for AWS: see infra/redrive)
	$(GO) run ./infra/redrive/cmd/redrive $(if $(ARGS),$(ARGS),-local)

relook: ## Move families saved before the look index was sharded onto it, once after that deploy (make run's stack; ARGS='-table keepsafe-prod' for AWS)
	$(GO) run ./infra/relook $(if $(ARGS),$(ARGS),-local)

reindex: ## Put concerns and imports recorded before the newest lists onto them, once after that deploy (make run's stack; ARGS='-table keepsafe-prod' for AWS)
	$(GO) run ./infra/reindex $(if $(ARGS),$(ARGS),-local)

# DynamoDB Local, fetched once into .cache/ (checksum pinned) before anything starts it.
dynamodb-local:
	@$(GO) run ./infra/dynamodblocal/cmd/fetch

# npm ci when node_modules is missing or older than package-lock.json.
node_modules:
	@if [ -f package-lock.json ] && { [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; }; then \
		echo "npm ci"; npm ci --no-audit --no-fund && touch node_modules; \
	fi

# The bootstraps are built once for the run, afresh (quick from the Go cache), and every test
# binary that starts the local stack uses them (KEEPSAFE_BOOTSTRAPS); one DynamoDB Local serves
# the run's test binaries (KEEPSAFE_DYNAMODB_ENDPOINT, set by cmd/with, which stops it after).
# The web package, the longest (its browser tests), is named first so that it starts first.
# -vet=off: `make lint` runs go vet over everything, so the tests do not run it again.
test: node_modules dynamodb-local ## Run every test (unit, integration with DynamoDB Local, browser)
	@rm -rf build/test
	@$(MAKE) --no-print-directory bootstraps OUT=build/test GOOS=$(HOST_GOOS) GOARCH=$(HOST_GOARCH)
	KEEPSAFE_BOOTSTRAPS=$(abspath build/test) $(GO) run ./infra/dynamodblocal/cmd/with -- $(GO) test $(TEST_FLAGS) $(SLOW_FIRST) ./...

bench: node_modules dynamodb-local ## Run the benchmarks and write BENCHMARKS.md
	$(GO) run ./infra/bench

lint: fmt-check vet staticcheck gosec depcheck openapi-lint ## gofmt, go vet, staticcheck, gosec, the dependency direction and docs/openapi.yaml

fmt-check:
	@out="$$(find . -name '*.go' -not -path './node_modules/*' -not -path './.cache/*' -not -path './build/*' -print0 | xargs -0 -r gofmt -l)"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

# gosec over what is deployed: functions/ and shared/. Test files are left out (gosec's
# default) and so is infra/: the local stack, DynamoDB Local's fetch, the benchmarks and the
# test helpers run only on a developer's machine or in CI, never in Lambda; what gosec finds
# there is of that kind (files written 0644 under .cache/, the commands they start, MD5 as
# SQS's own message digest). A finding that is safe is marked where it is, with its reason:
# `// #nosec G<nnn> -- <why>`.
gosec:
	$(GO) run $(GOSEC) -quiet -exclude-dir=infra ./...

depcheck:
	$(GO) run ./infra/depcheck

# The API document against the OpenAPI rules (redocly.yaml).
openapi-lint: node_modules
	npx --no-install redocly lint docs/openapi.yaml

deploy: ## Build for arm64 and deploy with SAM (guided the first time)
	$(MAKE) build GOARCH=arm64
	@if [ -f samconfig.toml ]; then sam deploy; else sam deploy --guided; fi

fuzz: ## Run every Fuzz target for FUZZTIME (20s) each
	@set -e; grep -rl --include='*_test.go' --exclude-dir=node_modules -E '^func Fuzz[A-Za-z0-9_]*\(' . | sort | \
	while read -r file; do \
		dir="./$$(dirname "$${file#./}")"; \
		for fn in $$(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$$file" | sed 's/^func //'); do \
			echo "$(GO) test -run=^$$ -fuzz=^$$fn\$$ -fuzztime=$(FUZZTIME) $$dir"; \
			$(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) "$$dir"; \
		done; \
	done

clean: ## Remove build output and test caches (keeps the downloaded DynamoDB Local)
	rm -rf build
	$(GO) clean -testcache
