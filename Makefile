# Fieldscreen: two commands for a newcomer (`make run`, `make test`), and a few more.
SHELL := /bin/bash
CARGO ?= cargo
APP_FEATURES := --features custom-protocol

.PHONY: run test bootstrap ui ui-test ui-lint a11y rust-lint rust-test module-cycles app-test app e2e protocols bench bench-smoke hub screenshots clean

## Installs what is missing, builds the UI and the app, and opens it.
run: bootstrap ui
	$(CARGO) run -p fieldscreen-app $(APP_FEATURES)

## The whole suite: UI unit tests, Rust (screening, CLI, app shell), protocol cases, benchmarks
## once, and a walk through a shipped protocol in the real app window.
test: bootstrap ui-lint ui-test ui a11y module-cycles rust-lint rust-test protocols app-test e2e bench-smoke
	@echo "make test: all suites passed"

bootstrap:
	@bash scripts/bootstrap.sh

ui: bootstrap
	cd ui && npm run build && npm run check-dist

## Accessibility: axe-core on every screen (UI on the fake backend, Debian's chromium), 1280x800 and
## 800x1280, dark, light and high contrast; touch targets and 200% text too.
a11y: bootstrap
	cd ui && npm run a11y

ui-test: bootstrap
	cd ui && npm test

## The UI's type check (svelte-check) and linter (ESLint with eslint-plugin-svelte and
## typescript-eslint).
ui-lint: bootstrap
	cd ui && npm run check && npm run lint

## Formatting (rustfmt.toml) and clippy with every warning an error, on every crate and target
## (the app's too: it needs the built UI).
rust-lint: ui
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## The hub's suite runs on SQLite and on a real PostgreSQL (scripts/postgres.sh starts one from
## Debian's packages); FIELDSCREEN_REQUIRE_PG=1 makes a missing database a failure, not a skip.
rust-test:
	export FIELDSCREEN_PG_URL="$$(bash scripts/postgres.sh)" FIELDSCREEN_REQUIRE_PG=1; \
	$(CARGO) test --workspace --exclude fieldscreen-app

## Every benchmark once with tiny sizes, so none can rot (part of make test, after e2e: it runs
## the debug app `make app` builds); the same table as bench.
bench-smoke: app
	FIELDSCREEN_PG_URL="$$(bash scripts/postgres.sh)" python3 scripts/bench.py --smoke

## The screening crate's modules import only downward: fails on any `crate::` import circle.
module-cycles:
	python3 scripts/module-cycles.py crates/screening/src

protocols:
	$(CARGO) run -q -p fieldscreen-cli -- protocol check
	$(CARGO) run -q -p fieldscreen-cli -- protocol test

app-test: ui
	$(CARGO) test -p fieldscreen-app $(APP_FEATURES)

app: ui
	$(CARGO) build -p fieldscreen-app $(APP_FEATURES)

## The real app window under Xvfb, driven through tauri-driver: a protocol walked to an outcome.
e2e: bootstrap app
	bash scripts/e2e.sh

## Every performance figure in one table, with the goal beside each and the machine; JSON under
## target/bench/. Under 15 minutes on 2 cores (it builds the release app and its .deb first).
bench: bootstrap ui
	FIELDSCREEN_PG_URL="$$(bash scripts/postgres.sh)" python3 scripts/bench.py

HUB_DIR ?= hub-data
## A local hub for a pilot: writes $(HUB_DIR)/hub.toml on first use (SQLite, its own CA,
## 127.0.0.1:8443), then serves it.
hub:
	test -f $(HUB_DIR)/hub.toml || $(CARGO) run -q -p hub --bin fieldscreen-hub -- init --dir $(HUB_DIR)
	$(CARGO) run -q -p hub --bin fieldscreen-hub -- serve --config $(HUB_DIR)/hub.toml

## Screenshots of the real window under Xvfb, into docs/screenshots/.
screenshots: bootstrap app
	bash scripts/screenshots.sh

clean:
	$(CARGO) clean
	rm -rf ui/dist
