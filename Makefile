# Bilag: two commands on a fresh machine, `make run` and `make test`.
.PHONY: help run test test-go test-e2e lint build docker bench
.DEFAULT_GOAL := help

VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
export CGO_ENABLED = 1
# sqlite_fts5 compiles SQLite's FTS5, which the vouchers' text index (an
# FTS5 trigram table) needs: every build, test and image uses it.
TAGS := sqlite_fts5

help: ## Show the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: build ## Build and start the portal in demo mode on http://localhost:8080 (prints the logins)
	BILAG_DEMO=1 BILAG_DATA_DIR=$${BILAG_DATA_DIR:-./data} ./bilag serve

build: ## Build the bilag binary
	go build -tags $(TAGS) -trimpath -ldflags "-X main.version=$(VERSION)" -o bilag .

lint: ## go vet and a gofmt check
	go vet -tags $(TAGS) ./...
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# -parallel 4: the tests that call t.Parallel() wait on sandboxes,
# PostgreSQL and real sockets as much as they compute, so four at a time
# keep two cores busy where GOMAXPROCS's two would not.
test-go: ## Go tests with the race detector, then the long tests the race detector makes too slow (and the bench's tiny runs)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || echo "NOTE: PostgreSQL server binaries not found: the database tests run on SQLite only (apt-get install postgresql)"
	go test -tags $(TAGS) -race -count=1 -parallel 4 ./...
	go test -tags $(TAGS) -count=1 -run 'TestLargeFirstSyncShowsProgress|TestLargeTIFFIsConvertedOnce' ./server/
	go test -tags $(TAGS) -count=1 -run 'Allocs' ./server/connections/ ./db/seal/
	go test -tags $(TAGS) -count=1 ./bench/

# make test runs two lines of work side by side on a machine's cores:
#   the Go tests (the race pass, then the plain pass), and
#   lint, then the browser tests.
# The race pass computes while the browser tests mostly wait (on Chromium,
# on the portal's sandboxes); on a cold machine lint's plain compile (SQLite's
# C above all) runs beside the race pass's instrumented one instead of before
# it, and the binary the browser tests build after lint reuses lint's. The
# second line's output goes to e2e/artifacts/, printed whole once both lines
# are done, so nothing interleaves; any step failing fails make test.
LOGS := e2e/artifacts
test: ## Every test: vet, gofmt, Go tests (SQLite, and PostgreSQL when its binaries are installed), browser tests
	@mkdir -p $(LOGS); echo "lint and the browser tests run beside the Go tests; their output: $(LOGS)/lint.log, $(LOGS)/test-e2e.log"
	@( $(MAKE) --no-print-directory lint >$(LOGS)/lint.log 2>&1; echo $$? >$(LOGS)/lint.rc; \
	   $(MAKE) --no-print-directory test-e2e >$(LOGS)/test-e2e.log 2>&1; echo $$? >$(LOGS)/test-e2e.rc ) & \
	$(MAKE) --no-print-directory test-go; gorc=$$?; wait; \
	lintrc=$$(cat $(LOGS)/lint.rc); e2erc=$$(cat $(LOGS)/test-e2e.rc); \
	echo "==== lint ($(LOGS)/lint.log) ===="; cat $(LOGS)/lint.log; \
	echo "==== browser tests ($(LOGS)/test-e2e.log) ===="; cat $(LOGS)/test-e2e.log; \
	echo "==== make test: lint $$lintrc, Go tests $$gorc, browser tests $$e2erc (0 is a pass) ===="; \
	[ $$lintrc -eq 0 ] && [ $$gorc -eq 0 ] && [ $$e2erc -eq 0 ]

# Each browser test file starts its own binary, data dir, ports and
# Chromium, so files run E2E_CONCURRENCY at a time (2 unless set; 1 runs
# them one by one, as before: make test E2E_CONCURRENCY=1).
export E2E_CONCURRENCY ?= 2
# The browser tests build without -trimpath: the binary then shares its
# compiled packages (SQLite's C above all) with the tests' plain pass instead
# of compiling everything once more on a cold machine.
test-e2e: ## Browser tests: the real binary driven by Chromium (needs chromium and `npm ci` in e2e/)
	go build -tags $(TAGS) -ldflags "-X main.version=$(VERSION)" -o bilag .
	@if [ -f e2e/package.json ]; then \
		if [ ! -d e2e/node_modules ]; then (cd e2e && npm ci --no-audit --no-fund); fi; \
		cd e2e && BILAG_BIN=$(CURDIR)/bilag npm test; \
	else echo "no e2e/ suite"; fi

bench: ## Measured speed: prints a table, writes bench/results.md and bench/results.svg
	go run -tags $(TAGS) ./bench

docker: ## Build the container image
	docker build -t bilag:$(VERSION) .
