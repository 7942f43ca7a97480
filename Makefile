# The two set-up commands of the README: `make demo` and `make test`. Both install what is missing
# (scripts/setup.sh), build, and run against a private containerd that the project starts itself.
SHELL := /bin/bash
.DEFAULT_GOAL := build
PREFIX ?= /usr/local
# Where `make install` puts the shared-mode daemon's systemd unit (deploy/systemd).
SYSTEMD_UNIT_DIR ?= /etc/systemd/system
# Node loads every CA certificate at start when this is set: 3x slower starts (architecture doc).
unexport NODE_EXTRA_CA_CERTS
NODE := node
TSX := $(NODE) --import tsx

.PHONY: setup build generate check-generated wasm bundles typecheck lint format-check load \
        test test-unit test-e2e demo install bench bench-quick stress clean

setup:
	@bash scripts/setup.sh

# Regenerates the protobuf code in api/gen, ttrpc/gen and test/cri/gen from the .proto files
# (buf + ts-proto).
generate: setup
	@bash scripts/generate.sh

# Fails when the committed generated code differs from what the .proto files produce.
check-generated: setup
	@bash scripts/check-generated.sh

wasm: setup
	@$(MAKE) -s -C testdata

bundles: setup
	@$(NODE) scripts/build.js

build: setup wasm bundles

typecheck: setup
	@npx tsc -p tsconfig.json

lint: setup
	@npx eslint .

format-check: setup
	@npx prettier --check . >/dev/null || (npx prettier --check .; exit 1)

UNIT_TESTS = $(shell find api ttrpc wasi engine shim image bin examples -name '*.test.ts' 2>/dev/null | sort)
# test/ includes the bench smoke check (test/bench-quick.test.ts: `make bench-quick`, every row must
# yield a number) and issue 4's stress test at a small size (test/e2e/stress.test.ts).
E2E_TESTS = $(shell find test -name '*.test.ts' 2>/dev/null | sort)

test-unit: build
	@$(TSX) --test --test-concurrency=2 $(UNIT_TESTS)

test-e2e: build
	@$(TSX) --test --test-concurrency=1 $(E2E_TESTS)

test: build check-generated typecheck lint format-check
	@$(TSX) --test --test-concurrency=2 $(UNIT_TESTS) $(E2E_TESTS)

# Benchmarks against runc, all in one invocation (bench/README.md): the table on stdout, samples
# and SVG charts in build/bench (build/bench-quick for the quick run, < 2 min).
bench: build
	@$(TSX) bench/run.ts

bench-quick: build
	@$(TSX) bench/run.ts --quick

# Issue 4's stress test: STRESS_N containers, STRESS_M at a time, through io.containerd.v8.v1;
# fails on any failed container or anything left behind.
STRESS_N ?= 1000
STRESS_M ?= 8
stress: build
	@$(TSX) bench/stress.ts --setup normal -n $(STRESS_N) -m $(STRESS_M)

demo: build
	@$(TSX) scripts/demo.ts

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/runwasi-node
	cp -r dist/. $(DESTDIR)$(PREFIX)/lib/runwasi-node/
	for b in containerd-shim-v8-v1 containerd-shim-v8d-v1 containerd-v8d runwasi; do ln -sf $(PREFIX)/lib/runwasi-node/bin/$$b $(DESTDIR)$(PREFIX)/bin/$$b; done
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	sed 's|@BINDIR@|$(PREFIX)/bin|' deploy/systemd/containerd-v8d.service > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/containerd-v8d.service
	@echo "shared mode: systemctl daemon-reload && systemctl enable --now containerd-v8d (or run containerd-v8d yourself: README)"

clean:
	rm -rf dist build

# Imports the demo image into a containerd (default: the system one) for `ctr run`.
CONTAINERD_ADDRESS ?= /run/containerd/containerd.sock
load: build
	ctr -a $(CONTAINERD_ADDRESS) -n default image import build/images/wasmtest.tar
