# Loupe — the two commands a new machine needs: `make demo` and `make test`.
SHELL := /bin/bash
SHARED ?= $(abspath ../shared)
VENV := target/pyenv
PY := $(VENV)/bin/python
NEXTEST := $(shell cargo nextest --version >/dev/null 2>&1 && echo yes)

.PHONY: demo test bench fmt lint clean pydeps build release web chromium logger fuzz fuzz-parse fuzz-hec fuzz-roundtrip check-windows

# Debian packages the tests need, installed only when missing; `apt-get update` at most once.
APT_STAMP := target/.apt-updated
define apt_install
	@command -v $(1) >/dev/null || { [ -f $(APT_STAMP) ] || { apt-get update -qq && mkdir -p target && touch $(APT_STAMP); }; \
	  apt-get install -y -qq $(2) >/dev/null; }
endef

## demo: build, start the indexer on a temp data dir, ship the bundled samples, print the URL
demo: release
	LOUPE_SHARED=$(SHARED) scripts/demo.sh

## test: everything CI runs (unit, end-to-end with real binaries, real HTTP, a real HEC client, a real
## SMTP server, a real browser driving the console)
test: pydeps chromium logger web
	cargo build --workspace --bins
	LOUPE_PYTHON=$(abspath $(PY)) LOUPE_SHARED_DATA=$(SHARED)/data LOUPE_BIN_DIR=$(abspath target/debug) \
	  LOUPE_BROWSER=/usr/bin/chromium \
	  $(if $(NEXTEST),cargo nextest run --workspace --no-fail-fast,cargo test --workspace --no-fail-fast)
	cargo test --workspace --doc

## bench: the 2M-line corpus, import and query figures next to rg on the same file; then the console in
## chromium over the same data (first-load JS, Enter to first events, scroll frame rates)
bench: release chromium
	LOUPE_SHARED=$(SHARED) scripts/bench.sh
	python3 scripts/bench_browser.py --write bench-out/data-hec error

## fuzz: every target under cargo fuzz for FUZZ_TIME seconds each (not in CI): the SPL parser (seeded with the
## Security Content searches: no input may make the parser, printer or static checks panic) and the HEC body
## decoders (`hec`: /event and /raw bodies, plain and gzip, seeded from fuzz/seeds/hec).
## fuzz-roundtrip: the stricter property that whatever parses prints to SPL that parses to the same tree.
## Stable toolchain: RUSTC_BOOTSTRAP=1 lets cargo fuzz pass its nightly flags; no sanitizer is needed for safe Rust.
FUZZ_TIME ?= 600
fuzz:
	$(MAKE) fuzz-parse fuzz-hec
fuzz-parse: FUZZ_TARGET = parse
fuzz-roundtrip: FUZZ_TARGET = roundtrip
fuzz-hec:
	@command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
	mkdir -p fuzz/corpus/hec && cp fuzz/seeds/hec/* fuzz/corpus/hec/
	cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none hec corpus/hec -- \
	  -max_total_time=$(FUZZ_TIME) -max_len=1048576 -timeout=10 -rss_limit_mb=2048
fuzz-parse fuzz-roundtrip:
	@command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
	python3 fuzz/scripts/seed_corpus.py $(SHARED)/data/spl/security_content_searches.ndjson fuzz/corpus/$(FUZZ_TARGET)
	cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $(FUZZ_TARGET) corpus/$(FUZZ_TARGET) -- \
	  -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 -rss_limit_mb=2048

release: web
	cargo build --release --workspace --bins

## web: the console (TypeScript, Vite) built into web/dist, which `loupe` embeds; `npm ci` only when
## the lock file changed.
web: web/dist/index.html
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
web/dist/index.html: web/node_modules/.package-lock.json web/index.html web/vite.config.ts web/tsconfig.json $(shell find web/src -type f 2>/dev/null)
	cd web && npm run build

chromium:
	$(call apt_install,chromium,chromium)

## pydeps: the venv of the test clients and servers (splunk_handler as a HEC client, aiosmtpd as the SMTP
## server the alert e-mail tests talk to) and poppler-utils' pdftotext (the tests read the PDF reports' text).
pydeps: $(PY) pdftotext
	@# A venv made before aiosmtpd joined the list gets it too.
	@$(PY) -c 'import aiosmtpd' 2>/dev/null || $(VENV)/bin/pip install --quiet --disable-pip-version-check aiosmtpd==1.4.6
$(PY):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check splunk_handler==3.0.0 aiosmtpd==1.4.6
.PHONY: logger
## logger: util-linux `logger` (Debian's bsdutils), the syslog client of tests/tests/syslog.rs.
logger:
	$(call apt_install,logger,bsdutils)
.PHONY: pdftotext
pdftotext:
	$(call apt_install,pdftotext,poppler-utils)

## check-windows: type-check the forwarder for Windows from Linux (not part of `make test`).
## Needs `rustup target add x86_64-pc-windows-gnu`; TLS (ring's C code) also needs a MinGW C compiler
## (Debian: gcc-mingw-w64-x86-64), without one only the plain-HTTP build is checked.
check-windows:
	rustup target list --installed | grep -q x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu
	if command -v x86_64-w64-mingw32-gcc >/dev/null; then \
	  cargo check -p loupe-forwarder --target x86_64-pc-windows-gnu --all-targets; \
	else \
	  echo "no x86_64-w64-mingw32-gcc: checking without TLS"; \
	  cargo check -p loupe-forwarder --target x86_64-pc-windows-gnu --all-targets --no-default-features; \
	fi

fmt:
	cargo fmt --all

lint: web
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

clean:
	cargo clean
