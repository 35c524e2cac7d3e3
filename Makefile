# porter: `make help` lists the targets.
PREFIX ?= /usr/local
BUILD  ?= build
export PATH := /usr/local/go/bin:$(PATH)
# Go's build cache does not see include/porter.h (outside the cgo package):
# its hash in the flags rebuilds the C parts whenever it changes.
export CGO_CPPFLAGS := -DPORTER_H_SHA1=$(shell sha1sum include/porter.h | cut -c1-12)

# Debian packages the build and the tests need; `make bench` needs its
# peers' too.
TEST_PACKAGES  := cmake curl gcc g++ pkg-config binutils coreutils wrk openssl nginx-light nim luajit2 lua-http lua-cqueues
BENCH_PACKAGES := $(TEST_PACKAGES) $(shell cat bench/peers/packages.txt)
BENCH_OUT      := $(BUILD)/bench

.PHONY: all help deps packages configure test test-go test-c test-bench demo bench tools \
        install clean

all: configure ## Build the library, the header checks and the C examples
	cmake --build $(BUILD) -j2

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

deps: ## Install missing build and test tools (Debian packages)
	@$(MAKE) --no-print-directory packages PACKAGES="$(TEST_PACKAGES)"
	@command -v go >/dev/null || { echo "porter needs Go 1.26 (https://go.dev/dl) on PATH or in /usr/local/go"; exit 1; }

# packages installs the Debian PACKAGES that are missing.
packages:
	@command -v dpkg >/dev/null || { echo "not Debian: install $(PACKAGES) yourself"; exit 0; }; \
	missing=""; for p in $(PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORTER_BUILD_TESTS=ON -DPORTER_BUILD_EXAMPLES=ON >/dev/null

test: all test-go test-c test-bench ## Run every test: Go (race detector), exports, C ABI, examples, bench harness

test-go:
	go vet ./...
	go test -race -count=1 ./core/... ./capi/...
	go test -count=1 -run AllocateNothing ./core # skipped under -race, which allocates
	GOEXPERIMENT=cgocheck2 go test -count=1 ./capi/...
	# A count, not a duration: Go 1.26's fuzzer can report a bare "context
	# deadline exceeded" when a duration ends on a loaded machine
	# (golang/go#75804). 100,000 inputs take about 10 s here.
	go test -run='^$$' -fuzz=FuzzHead -fuzztime=100000x ./core/http1
	go test -run='^$$' -fuzz=FuzzChunked -fuzztime=100000x ./core/http1
	go test -run='^$$' -fuzz=FuzzParse -fuzztime=100000x ./core/scgi

test-c: all tools
	ctest --test-dir $(BUILD) --output-on-failure -j2

# Test tools that come from the Go module proxy, into $(BUILD)/tools.
H2SPEC_VERSION := v2.2.1+incompatible
tools:
	@test -x $(BUILD)/tools/h2spec || \
	  GOBIN=$(abspath $(BUILD))/tools go install github.com/summerwind/h2spec/cmd/h2spec@$(H2SPEC_VERSION)

# The bench harness works (a tiny run against porter and Go net/http); no
# speed is asserted.
test-bench: all
	cd bench && go vet ./... && go test -count=1 ./...
	sh bench/peers/build.sh $(BUILD) $(BENCH_OUT)
	cd bench && go run ./harness -tiny -out ../$(BENCH_OUT) -only porter-callback,porter-loop,porter-go,go-nethttp

bench: all ## Compare porter with nginx, h2o, libmicrohttpd, ... into docs/benchmarks.md (QUICK=1: under 2 min)
	@$(MAKE) --no-print-directory packages PACKAGES="$(BENCH_PACKAGES)"
	sh bench/peers/build.sh $(BUILD) $(BENCH_OUT)
	cd bench && go run ./harness -out ../$(BENCH_OUT) -only @../$(BENCH_OUT)/peers.ok $(if $(QUICK),-quick)
	SECONDS_PER_RUN=$(if $(QUICK),2,5) sh bench/h2load.sh $(BENCH_OUT) > docs/benchmarks-h2.md

demo: all ## Serve "Hello World" on 127.0.0.1:8080 (Ctrl-C stops)
	$(BUILD)/examples/hello 127.0.0.1:8080

install: all ## Install into PREFIX (default /usr/local), honouring DESTDIR
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

clean: ## Remove the build directory
	rm -rf $(BUILD)
