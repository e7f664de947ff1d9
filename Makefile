# Hold Slayer: common tasks. `make` alone lists them.
GO       ?= go
PKGS     ?= ./...
TIMEOUT  ?= 20m
BIN      ?= bin/holdslayer
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.DEFAULT_GOAL := help
.PHONY: help run demo test check fmt vet bench build clean corpus eval

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## run the service on 127.0.0.1:8000 (settings: HOLDSLAYER_* variables, see `go run ./cmd/holdslayer config`)
	$(GO) run ./cmd/holdslayer serve

test: ## run every test with the race detector
	$(GO) test -race -timeout $(TIMEOUT) $(PKGS)

check: fmt vet test ## gofmt, go vet and the tests: what CI expects

fmt: ## fail if any file needs gofmt
	@out="$$(gofmt -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet $(PKGS)

bench: ## run the benchmarks (no tests)
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

build: ## build $(BIN)
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/holdslayer

corpus: ## generate the labelled classifier corpus into testdata/corpus (cached; needs espeak-ng, sox)
	go run ./scripts/corpus -out testdata/corpus

eval: corpus ## score the classifier on the held-out corpus: per-class F1, confusion, detection latency
	go run ./classifier/cmd/eval -corpus testdata/corpus

demo: ## run the service against the built-in simulated Asterisk, even if HOLDSLAYER_ARI_URL is set
	go run ./cmd/holdslayer demo

clean: ## remove build output
	rm -rf bin
