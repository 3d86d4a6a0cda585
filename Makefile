# ctem — make targets. `make test` is the README's test command.
GO ?= go
RACE ?=
TESTFLAGS ?= -count=1 -timeout 25m

ifeq ($(RACE),1)
TESTFLAGS += -race
endif

.PHONY: test build demo bench fuzz lint

test:
	$(GO) test $(TESTFLAGS) ./...

build:
	CGO_ENABLED=0 $(GO) build -o bin/ctem ./cmd/ctem

demo:
	$(GO) run ./cmd/ctem demo

bench:
	$(GO) run ./cmd/ctem bench ingest

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	$(GO) vet ./...
