# porter: `make help` lists the targets.
PREFIX ?= /usr/local
BUILD  ?= build
export PATH := /usr/local/go/bin:$(PATH)

# Debian packages the build and the tests need, by the command each gives.
DEB_PACKAGES := cmake:cmake curl:curl gcc:gcc g++:g++ pkg-config:pkg-config \
                timeout:coreutils

.PHONY: all help deps configure test test-go test-c demo install clean

all: configure ## Build the library, the header checks and the C examples
	cmake --build $(BUILD) -j2

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

deps: ## Install missing build and test tools (Debian packages)
	@missing=""; for pair in $(DEB_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi
	@command -v go >/dev/null || { echo "porter needs Go 1.26 (https://go.dev/dl) on PATH or in /usr/local/go"; exit 1; }

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORTER_BUILD_TESTS=ON >/dev/null

test: all test-go test-c ## Run every test: Go (race detector), exports, C ABI, examples

test-go:
	go vet ./...
	go test -race -count=1 ./core/... ./capi/...
	GOEXPERIMENT=cgocheck2 go test -count=1 ./capi/...

test-c: all
	ctest --test-dir $(BUILD) --output-on-failure -j2

demo: all ## Serve "Hello World" on 127.0.0.1:8080 (Ctrl-C stops)
	$(BUILD)/examples/hello 127.0.0.1:8080

install: all ## Install into PREFIX (default /usr/local), honouring DESTDIR
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

clean: ## Remove the build directory
	rm -rf $(BUILD)
