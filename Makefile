# Linkwatch. Quick start: `make run`, then `make test`.
GO      ?= go
BIN     := bin/linkwatch
# The PostgreSQL suite runs when LINKWATCH_TEST_POSTGRES is set (.ci/run sets it).
export LINKWATCH_TEST_POSTGRES

.PHONY: run test test-postgres test-stress build bench bench-summary bench-go bench-redirect bench-prober bench-alerting bench-statuspage bench-overload fuzz vet drills

## run: everything in one process on embedded SQLite (linkwatch.db), on :8080
run:
	LINKWATCH_LOG_FORMAT=$${LINKWATCH_LOG_FORMAT:-text} $(GO) run ./cmd/linkwatch serve

## test: vet, then every test (with the race detector); fuzz seed corpora included; then the deploy module's
## (deploy/go.mod: the Kubernetes manifests, PrometheusRule and Grafana dashboard against the binary; -mod=mod
## lets it follow the main module's dependencies, which it imports through a replace, without a hand-run tidy;
## no race detector there: its tests render and decode manifests, and kustomize and Prometheus under -race
## take minutes to compile)
test: vet
	$(GO) test -race -count=1 ./...
	cd deploy && $(GO) vet -mod=mod ./... && $(GO) test -mod=mod -count=1 ./...

## test-postgres: the same, with the PostgreSQL suite against the local server; its tests fail, never skip,
## when the server is unreachable
test-postgres:
	LINKWATCH_TEST_POSTGRES=$${LINKWATCH_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable} \
	LINKWATCH_TEST_POSTGRES_REQUIRED=1 $(MAKE) test

## test-stress: the whole suite STRESS_RUNS (10) times, each a fresh `go test -race -count=1 ./...`, stopping at
## the first failure (-count=10 in one run is not the same: it shares one process per package)
STRESS_RUNS ?= 10
test-stress:
	@for i in $$(seq 1 $(STRESS_RUNS)); do \
		echo "test-stress: run $$i of $(STRESS_RUNS)"; \
		$(GO) test -race -count=1 ./... || { echo "test-stress: run $$i failed"; exit 1; }; \
	done

vet:
	$(GO) vet ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/linkwatch

## drills: every drill at full length (drills/: real processes on loopback against PostgreSQL, HAProxy in
## front of redirectors; tens of minutes), then one table: drill, what was measured, result, pass/fail. Their
## short versions run in `make test`
drills:
	@mkdir -p bin && rm -f bin/drills.md
	@LINKWATCH_TEST_POSTGRES=$${LINKWATCH_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable} \
	LINKWATCH_TEST_POSTGRES_REQUIRED=1 LINKWATCH_TEST_HAPROXY_REQUIRED=1 \
	$(GO) test -count=1 -timeout 90m ./drills -args -drills.full -drills.table=$(CURDIR)/bin/drills.md; \
	status=$$?; cat bin/drills.md 2>/dev/null; exit $$status

## bench: Go benchmarks (scan ingest, QR, alert evaluation), the redirect, prober, alerting and status page benchmarks;
## each leaves its figures in bench/out/ and bench/results.md is rendered from them after each (bench-summary alone: again)
bench: bench-go bench-redirect bench-prober bench-alerting bench-statuspage bench-overload

BENCH_SUMMARY = $(GO) run ./bench/benchtool summary --out bench/out --results bench/results.md
bench-summary:
	$(BENCH_SUMMARY)

## bench-go: every Go benchmark with its bare-library baseline (bench/baseline)
bench-go:
	./bench/go.sh
	$(BENCH_SUMMARY)

## bench-redirect: wrk, 64 connections: bare net/http map baseline vs linkwatch on SQLite and PostgreSQL
bench-redirect:
	./bench/redirect.sh
	$(BENCH_SUMMARY)

## bench-prober: one prober, LINKS (10,000) links every 60s against a local target for BENCH_DURATION (3m)
bench-prober:
	./bench/prober.sh
	$(BENCH_SUMMARY)

## bench-alerting: the alert engine's cycle over 10k and 1k links (Go benchmark), then detection latency end to
## end: destination broken -> link_down in a fake Slack, via control + redirector on PostgreSQL and three remote
## probers, check intervals 10s and 60s side by side, p95 against interval + 10s (~5-15 min; TRIALS_10S, TRIALS_60S)
bench-alerting:
	BENCH=Evaluate BENCHTIME=1s BENCH_FRAGMENT=alerting-evaluate ./bench/go.sh ./alerting
	./bench/alerting.sh
	$(BENCH_SUMMARY)

## bench-statuspage: wrk, 64 connections: the status page's static stylesheet (baseline) vs /status and
## /api/v2/summary.json, 200 components with 90 days of seeded history on SQLite; target /status >= 5,000 req/s (~3 min)
bench-statuspage:
	./bench/statuspage.sh
	$(BENCH_SUMMARY)

## bench-overload: serve on SQLite (and PostgreSQL when LINKWATCH_TEST_POSTGRES is set): capacity of a mix of
## redirects, API and status page calls (closed loop), then 1x and 2x that rate open-loop and 0.5x after:
## redirect p50/p99, the API's 503 share, RSS and recovery (~2 min per database)
bench-overload:
	./bench/overload.sh
	$(BENCH_SUMMARY)

## fuzz: run every fuzz target for FUZZTIME each (default 30s)
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzValidateSlug$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzValidateURL$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeLink$$' -fuzztime $(FUZZTIME) ./api
	$(GO) test -run '^$$' -fuzz '^FuzzResults$$' -fuzztime $(FUZZTIME) ./api
	$(GO) test -run '^$$' -fuzz '^FuzzFailover$$' -fuzztime $(FUZZTIME) ./api
	$(GO) test -run '^$$' -fuzz '^FuzzParseYAML$$' -fuzztime $(FUZZTIME) ./config
	$(GO) test -run '^$$' -fuzz '^FuzzExpand$$' -fuzztime $(FUZZTIME) ./config
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./qrcode
	$(GO) test -run '^$$' -fuzz '^FuzzFetchURL$$' -fuzztime $(FUZZTIME) ./prober
	$(GO) test -run '^$$' -fuzz '^FuzzRuleSpec$$' -fuzztime $(FUZZTIME) ./alerting
	$(GO) test -run '^$$' -fuzz '^FuzzParseCSV$$' -fuzztime $(FUZZTIME) ./dashboard
