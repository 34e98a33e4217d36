# failhop: the two commands are `make demo` (main job) and `make test`.
# Every target works on a fresh Debian machine with Go; see README.md.

GO      ?= go
SHELL   := /bin/bash
# Modules of this repository: the library at the root; the router adapters
# (ROUTERS) and the pgx and go-redis adapters (DRIVERS) in instrument/;
# real-driver tests, peer benchmarks and the compose check in integration/;
# the collector build with its processor in collector/; the demo shop in
# examples/. Kept apart so that users who import the library never download
# their dependencies.
ROUTERS := instrument/instrumentchi instrument/instrumentmux instrument/instrumentgin instrument/instrumentecho
DRIVERS := instrument/instrumentpgx instrument/instrumentredis
MODULES := . integration collector examples $(ROUTERS) $(DRIVERS)

.PHONY: bin/failhop bin/stack bin/demo hotrod demo stack stress test vet fmt-check fuzz bench help jaeger collector bin/failhop-collector node-packages

demo: bin/jaeger bin/failhop-collector bin/failhop bin/demo ## the main job: local pipeline + demo shop, every failure scenario pinpointed (DEMO_ONCE=1 exits after the table, DEMO_FREE_PORTS=1 uses free ports)
	@scripts/prometheus.sh >/dev/null 2>.cache-prometheus.log || echo "make demo: Prometheus could not be installed (scripts/prometheus.sh: $$(tail -n 1 .cache-prometheus.log)); the demo runs without failure counts and alerts"
	@rm -f .cache-prometheus.log
	bin/demo all

# Built, then run, as bin/stack is: a Ctrl-C then ends make demo cleanly.
bin/demo: # go build knows when it is up to date
	cd examples && $(GO) build -o ../bin/demo ./cmd/demo

# Logs and the collector's persistent queue of `make stack`.
STACK_DIR ?= .cache/stack
stack: bin/jaeger bin/failhop-collector bin/stack ## run Jaeger and the failhop collector on this machine until Ctrl-C (no Docker; ports: docs/pipeline.md#ports; logs in STACK_DIR, .cache/stack)
	bin/stack -dir $(STACK_DIR)

# Built, then run: `go run` exits 1 on the Ctrl-C that stops the stack,
# whatever the stack's own status, and make then reports an error.
bin/stack: # go build knows when it is up to date
	$(GO) build -o bin/stack ./internal/devstack/cmd/stack

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

test: fmt-check vet bin/jaeger bin/failhop-collector bin/hotrod bin/failhop node-packages ## run every test (starts a private PostgreSQL, Redis and RabbitMQ, see scripts/postgres.sh, scripts/redis.sh and scripts/rabbitmq.sh; installs Chromium and Prometheus if absent, scripts/chromium.sh and scripts/prometheus.sh, and the Node packages of the OpenTelemetry JS test services)
	scripts/prometheus.sh >/dev/null
	$(GO) test -count=1 ./...
	@for m in $(ROUTERS); do echo "go test $$m"; (cd $$m && $(GO) test -count=1 ./...) || exit 1; done
	@echo "the analyzer and the common rule (deepest error span with no error child) on every trace fixture:"
	@set -o pipefail; $(GO) test -count=1 -run '^TestScore$$' -v ./analyzer | grep -o 'score: .*'
	cd collector && $(GO) test -count=1 ./failhopprocessor ./failhopsampler ./rootwait ./depthlimit ./gomemlimit ./diskguard ./internal/...
	@echo "pipeline tests against the real collector and Jaeger (their figures: sent, arrived, lost, latency):"
	set -o pipefail; amqp="$$(scripts/rabbitmq.sh)" || exit 1; \
	(cd collector && FAILHOP_TEST_AMQP_URL="$$amqp" $(GO) test -count=1 -v ./pipelinetest 2>&1 | grep -Ev '^=== (RUN|PAUSE|CONT)'); \
	status=$$?; scripts/rabbitmq.sh stop; exit $$status

	@echo "the pgx and go-redis adapters, each module on its own, against the private PostgreSQL and Redis:"
	dsn="$$(scripts/postgres.sh)" && cd instrument/instrumentpgx && FAILHOP_TEST_POSTGRES_DSN="$$dsn" $(GO) test -count=1 ./...
	addr="$$(scripts/redis.sh)" && cd instrument/instrumentredis && FAILHOP_TEST_REDIS_ADDR="$$addr" $(GO) test -count=1 ./...
	dsn="$$(scripts/postgres.sh)" && addr="$$(scripts/redis.sh)" && cd integration && FAILHOP_TEST_POSTGRES_DSN="$$dsn" FAILHOP_TEST_REDIS_ADDR="$$addr" $(GO) test -count=1 ./...
	@echo "the demo shop on SQLite, then on PostgreSQL (with its page in Chromium, see scripts/chromium.sh):"
	chromium="$$(scripts/chromium.sh)" && cd examples && FAILHOP_TEST_CHROMIUM="$$chromium" $(GO) test -count=1 ./...
	dsn="$$(scripts/postgres.sh)" && chromium="$$(scripts/chromium.sh)" && cd examples && FAILHOP_TEST_POSTGRES_DSN="$$dsn" FAILHOP_TEST_CHROMIUM="$$chromium" $(GO) test -count=1 ./...

# The OpenTelemetry JS services that the pipeline tests run: their Node
# packages, pinned by package-lock.json, from the npm registry (Node.js and
# npm come with the machine). npm ci writes node_modules/.package-lock.json.
OTEL_JS := collector/pipelinetest/testdata/otel-js
node-packages: $(OTEL_JS)/node_modules/.package-lock.json ## install the Node packages of the OpenTelemetry JS test services (npm ci)
$(OTEL_JS)/node_modules/.package-lock.json: $(OTEL_JS)/package.json $(OTEL_JS)/package-lock.json
	npm ci --prefix $(OTEL_JS) --no-audit --no-fund

jaeger: bin/jaeger ## build bin/jaeger (Jaeger v2.12.0 from tools/go.mod; ~3 min the first time)
bin/jaeger: tools/go.mod tools/go.sum
	GO=$(GO) scripts/build-tool.sh

hotrod: bin/hotrod ## build bin/hotrod (Jaeger's HotROD demo app, from the same pinned module; the pipeline tests run it)
bin/hotrod: tools/go.mod tools/go.sum
	cd tools && $(GO) build -trimpath -o ../bin/hotrod github.com/jaegertracing/jaeger/examples/hotrod

bin/failhop: # the CLI; go build knows when it is up to date
	$(GO) build -o bin/failhop ./cmd/failhop

collector: bin/failhop-collector ## build bin/failhop-collector (Collector Builder v0.160.0 + failhop processor; ~2 min the first time)
bin/failhop-collector: # always asks the script, which knows when the binary is up to date
	GO=$(GO) scripts/build-collector.sh

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
vet: ## go vet and staticcheck (v0.8.2, staticcheck.conf) every module
	@for m in $(MODULES); do echo "go vet $$m"; (cd $$m && $(GO) vet ./...) || exit 1; done
	@for m in $(MODULES); do echo "staticcheck $$m"; (cd $$m && $(GO) run $(STATICCHECK) ./...) || exit 1; done

fmt-check: ## fail if a Go file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

FUZZTIME ?= 30s
fuzz: ## run every fuzz target for FUZZTIME each
	$(GO) test -run '^$$' -fuzz '^FuzzErrorHeader$$' -fuzztime $(FUZZTIME) ./instrument/internal/request
	$(GO) test -run '^$$' -fuzz '^FuzzAccept$$' -fuzztime $(FUZZTIME) ./instrument
	$(GO) test -run '^$$' -fuzz '^FuzzSanitizeQuery$$' -fuzztime $(FUZZTIME) ./instrument
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./tracejson

stress: bin/jaeger bin/failhop-collector ## the hostile and huge input probes, with their figures (docs/reliability.md); make test runs them too
	$(GO) test -count=1 -v -run '^(TestHugeTraces|TestBrokenParents)$$' ./analyzer
	$(GO) test -count=1 -v -run '^(TestWhyEscapes|TestWhyHugeTraces|TestWhyNoRoot)$$' ./cmd/failhop
	$(GO) test -count=1 -v -run '^(TestUnreachableCollector|TestBlackHoleCollector)$$' ./exporters
	cd collector && $(GO) test -count=1 -v -run '^(TestMarkHugeTraces|TestMarkDuplicateIDs)$$' ./failhopprocessor
	cd collector && $(GO) test -count=1 -v ./depthlimit
	cd collector && $(GO) test -count=1 -v -run '^(TestDeepValues|TestHugeTraces)$$' ./pipelinetest

BENCHCOUNT ?= 10
bench: ## run the benchmarks against the peer libraries and print benchstat tables (see docs/performance.md)
	scripts/bench.sh $(BENCHCOUNT)
