# One Makefile for people, CI and SAM (template.yaml: BuildMethod makefile).
#
#   make run      the whole pipeline on this machine: moto + Adobe emulator +
#                 the real bootstrap under the Lambda Runtime Interface Emulator
#   make test     vet, lint, cfn-lint, the arm64 build, unit and end-to-end tests
#   make invoke EVENT=events/<file>.json   like `sam local invoke -e`, without Docker

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
GOLANGCI_LINT_VERSION := v2.15.0
BIN := $(CURDIR)/.bin
VENV := $(CURDIR)/.venv

# The deployed artefact: exactly these flags, for arm64 (SAM) or for this
# machine (local runs under the RIE). internal/localenv builds with the same.
GO_BUILD_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'
LOCAL_ARCH := $(shell $(GO) env GOARCH)
LOCAL_BOOTSTRAP := $(CURDIR)/.build/local/bootstrap
EVENT ?= events/cloudtrail-createstream-provisioned.json

# moto_server: from PATH, else from the project's virtual environment.
MOTO_SERVER := $(shell command -v moto_server 2>/dev/null || echo $(VENV)/bin/moto_server)
CFN_LINT := $(shell command -v cfn-lint 2>/dev/null || echo $(VENV)/bin/cfn-lint)
export MOTO_SERVER

.PHONY: all build build-local build-ProvisionerFunction deps run invoke stack test unit vet lint cfn-lint tidy-check fuzz bench faults clean help

all: test

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build-ProvisionerFunction: ## SAM's build target (sam build sets ARTIFACTS_DIR)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GO_BUILD_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/provisioner

build: ## the arm64 deployment artefact in .build/arm64 (as sam build makes it) and its zip
	$(MAKE) --no-print-directory build-ProvisionerFunction ARTIFACTS_DIR=$(CURDIR)/.build/arm64
	rm -f .build/provisioner-arm64.zip && cd .build/arm64 && python3 -m zipfile -c ../provisioner-arm64.zip bootstrap
	@ls -l .build/provisioner-arm64.zip

build-local: ## the same bootstrap for this machine's architecture, for the RIE
	CGO_ENABLED=0 GOOS=linux GOARCH=$(LOCAL_ARCH) $(GO) build $(GO_BUILD_FLAGS) -o $(LOCAL_BOOTSTRAP) ./functions/provisioner

deps: ## moto and cfn-lint: use the installed ones, else install them into .venv
	@if [ ! -x "$(MOTO_SERVER)" ] || [ ! -x "$(CFN_LINT)" ]; then \
	  echo "installing moto[server] and cfn-lint into $(VENV)"; \
	  python3 -m venv $(VENV) && $(VENV)/bin/pip install --quiet "moto[server]" cfn-lint; \
	fi

run: deps build-local ## provision from the CloudTrail CreateStream sample, end to end, locally
	$(GO) run ./cmd/localrun -bootstrap $(LOCAL_BOOTSTRAP) -event events/cloudtrail-createstream-provisioned.json

invoke: deps build-local ## run events on one warm function: make invoke EVENT="events/a.json events/b.json" [VERBOSE=1]
	$(GO) run ./cmd/localrun -bootstrap $(LOCAL_BOOTSTRAP) $(foreach e,$(EVENT),-event $(e)) $(if $(VERBOSE),-v)

stack: deps ## keep moto and the Adobe emulator running for `sam local invoke --env-vars env.json`
	$(GO) run ./cmd/localrun -stack

test: deps vet lint cfn-lint tidy-check build build-local unit ## everything CI runs

unit: build-local ## unit and end-to-end tests (the end-to-end ones run the real bootstrap under the RIE)
	PROVISIONER_BOOTSTRAP=$(LOCAL_BOOTSTRAP) $(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

$(BIN)/golangci-lint:
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

lint: $(BIN)/golangci-lint ## golangci-lint, pinned
	$(BIN)/golangci-lint run ./...

cfn-lint: deps ## cfn-lint runs the SAM transform on template.yaml
	$(CFN_LINT) template.yaml

tidy-check:
	$(GO) mod tidy -diff

bench: deps build build-local ## latency, round trips, size and memory against the budgets; writes BENCHMARKS.md and docs/bench.png
	$(GO) run ./cmd/bench -bootstrap .build/local/bootstrap -zip .build/provisioner-arm64.zip

faults: deps build-local ## the fault matrix: every dependency under every fault, as a Markdown table
	$(GO) run ./cmd/faults -bootstrap $(LOCAL_BOOTSTRAP)

FUZZTIME ?= 20s

fuzz: ## each fuzz target for FUZZTIME (default 20s); a crasher lands in the package's testdata/fuzz
	$(GO) test -run '^$$' -fuzz '^FuzzDispatch$$' -fuzztime $(FUZZTIME) ./internal/trigger
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeProvisionBody$$' -fuzztime $(FUZZTIME) ./internal/trigger
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeSecret$$' -fuzztime $(FUZZTIME) ./internal/secrets
	$(GO) test -run '^$$' -fuzz '^FuzzCheckResponse$$' -fuzztime $(FUZZTIME) ./internal/flowservice

clean:
	rm -rf .build
