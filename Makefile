# Commonground. Every Go command needs the duckdb_arrow tag (Arrow support in
# duckdb-go) and mallocator (Arrow buffers in C memory, for the cgo pointer rules).
GO      ?= go
TAGS    := duckdb_arrow,mallocator
DB      ?= commonground.duckdb
ADDR    ?= 127.0.0.1:8080
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
export GOFLAGS := -tags=$(TAGS)

.PHONY: build run real-data test test-short test-browser test-cgocheck bench fuzz schema vendor clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/commonground ./cmd/commonground

# Build, load the synthetic demo area if the database is empty, then serve.
run: build
	@if [ ! -s "$(DB)" ]; then ./bin/commonground demo --db "$(DB)"; fi
	./bin/commonground serve --db "$(DB)" --addr "$(ADDR)"

# Load the real open data in ../shared/data into real.duckdb.
real-data: build
	docs/load-shared-data.sh real.duckdb ../shared/data

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

test-short:
	$(GO) test -short ./...

# Just the browser tests (headless Chromium + axe-core; see docs/TESTING.md).
# make test runs them too.
test-browser:
	$(GO) test -count=1 -v ./dashboard/browsertest/

# The cgo pointer checks that Arrow buffers handed to DuckDB must pass.
test-cgocheck:
	GOEXPERIMENT=cgocheck2 $(GO) test -count=1 -short ./warehouse/ ./ingest/

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./ingest/ ./ingest/format/

fuzz:
	for f in FuzzDecode FuzzCSVReader FuzzParseDecimal FuzzParseDate; do \
		$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 30s ./ingest/format/ || exit 1; done

# Regenerate docs/SCHEMA.md from the migrations and the catalogue.
schema: build
	./bin/commonground schema > docs/SCHEMA.md

# Re-create the vendored front-end files from package-lock.json. They are
# committed (and embedded in the binary), so builds and `make run` need no
# network; run this only to upgrade: npm install maplibre-gl@X --save-exact.
# TestVendorMatchesNodeModules checks the committed copy against node_modules.
VENDOR := dashboard/static/vendor
vendor:
	npm ci --no-audit --no-fund
	mkdir -p $(VENDOR)
	cp node_modules/maplibre-gl/dist/maplibre-gl.js node_modules/maplibre-gl/dist/maplibre-gl.css $(VENDOR)/
	cp node_modules/maplibre-gl/dist/LICENSE.txt $(VENDOR)/maplibre-gl-LICENSE.txt

clean:
	rm -rf bin
