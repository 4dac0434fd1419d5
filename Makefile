# Fieldscreen: two commands for a newcomer (`make run`, `make test`), and a few more.
SHELL := /bin/bash
CARGO ?= cargo
APP_FEATURES := --features custom-protocol

.PHONY: run test bootstrap ui ui-test a11y rust-test app-test app e2e protocols bench bench-smoke screenshots clean

## Installs what is missing, builds the UI and the app, and opens it.
run: bootstrap ui
	$(CARGO) run -p fieldscreen-app $(APP_FEATURES)

## The whole suite: UI unit tests, Rust (screening, CLI, app shell), protocol cases, benchmarks
## once, and a walk through a shipped protocol in the real app window.
test: bootstrap ui-test ui a11y rust-test protocols app-test e2e
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

rust-test:
	$(CARGO) test --workspace --exclude fieldscreen-app
	# Benchmarks run once each, with tiny sizes, so they cannot rot.
	$(CARGO) test -p screening --bench screening
	$(CARGO) test -p vault --bench vault
	$(CARGO) test -p bundle --bench export

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

## Benchmarks: the screening crate (criterion: load+validate, one engine step at 300 items) and
## the vault (unlock with its KDF, answer commit p50/p99, SQLCipher against plain SQLite), and
## bundle export against Debian's age CLI.
bench:
	$(CARGO) bench -p screening
	$(CARGO) bench -p vault --bench vault
	$(CARGO) bench -p bundle --bench export

## Screenshots of the real window under Xvfb, into docs/screenshots/.
screenshots: bootstrap app
	bash scripts/screenshots.sh

clean:
	$(CARGO) clean
	rm -rf ui/dist
