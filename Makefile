# Loupe — the two commands a new machine needs: `make demo` and `make test`.
SHELL := /bin/bash
SHARED ?= $(abspath ../shared)
VENV := target/pyenv
PY := $(VENV)/bin/python
NEXTEST := $(shell cargo nextest --version >/dev/null 2>&1 && echo yes)

.PHONY: demo test bench fmt lint clean pydeps build release web chromium ldap logger fuzz fuzz-parse fuzz-hec fuzz-roundtrip check-windows windows mingw wine

# Where cargo builds (CARGO_TARGET_DIR when set).
CARGO_TARGET := $(or $(CARGO_TARGET_DIR),target)

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
## (and the Windows forwarder under Wine: tests/tests/forwarder_windows.rs)
test: pydeps chromium ldap logger web windows wine
	cargo build --workspace --bins
	LOUPE_PYTHON=$(abspath $(PY)) LOUPE_SHARED_DATA=$(SHARED)/data LOUPE_BIN_DIR=$(abspath $(CARGO_TARGET)/debug) \
	  LOUPE_BROWSER=/usr/bin/chromium LOUPE_WINDOWS_EXE=$(abspath $(WIN_EXE)) \
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

## ldap: Debian's OpenLDAP server and clients, for the directory login test (tests/tests/access.rs starts its own slapd).
ldap:
	$(call apt_install,slapd,slapd ldap-utils)

## pydeps: the venv of the test clients and servers (splunk_handler as a HEC client, aiosmtpd as the SMTP
## server the alert e-mail tests talk to, mmdb-writer for tests/data/geoip/write_mmdb.py, which wrote the
## committed test IP location database) and poppler-utils' pdftotext (the tests read the PDF reports' text).
pydeps: $(PY) pdftotext
	@# A venv made before aiosmtpd or mmdb-writer joined the list gets them too.
	@$(PY) -c 'import aiosmtpd' 2>/dev/null || $(VENV)/bin/pip install --quiet --disable-pip-version-check aiosmtpd==1.4.6
	@$(PY) -c 'import mmdb_writer' 2>/dev/null || $(VENV)/bin/pip install --quiet --disable-pip-version-check mmdb-writer==0.2.7
$(PY):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check splunk_handler==3.0.0 aiosmtpd==1.4.6 mmdb-writer==0.2.7
.PHONY: logger
## logger: util-linux `logger` (Debian's bsdutils), the syslog client of tests/tests/syslog.rs.
logger:
	$(call apt_install,logger,bsdutils)
.PHONY: pdftotext
pdftotext:
	$(call apt_install,pdftotext,poppler-utils)

## check-windows: clippy on the forwarder built for Windows, from Linux (the service and the Windows paths
## are code Linux builds never see). TLS (ring's C code) needs MinGW, installed when missing.
check-windows: mingw
	@rustup target list --installed | grep -qx $(WIN_TARGET) || rustup target add $(WIN_TARGET)
	cargo clippy -p loupe-forwarder --target $(WIN_TARGET) --all-targets -- -D warnings

## windows: loupe-forwarder.exe cross-built for x86_64-pc-windows-gnu (TLS included: ring's C code goes
## through Debian's MinGW), packed with an example batch-server forwarder.toml and install.ps1 (CRLF, for
## Notepad) into $(WIN_ZIP).
WIN_TARGET := x86_64-pc-windows-gnu
FWD_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' forwarder/Cargo.toml | head -n1)
WIN_EXE := $(CARGO_TARGET)/$(WIN_TARGET)/release/loupe-forwarder.exe
WIN_NAME := loupe-forwarder-$(FWD_VERSION)-windows-x86_64
WIN_ZIP := $(CARGO_TARGET)/windows/$(WIN_NAME).zip
windows: mingw
	@rustup target list --installed | grep -qx $(WIN_TARGET) || rustup target add $(WIN_TARGET)
	cargo build --release -p loupe-forwarder --target $(WIN_TARGET)
	rm -rf $(CARGO_TARGET)/windows/$(WIN_NAME) $(WIN_ZIP)
	mkdir -p $(CARGO_TARGET)/windows/$(WIN_NAME)
	x86_64-w64-mingw32-strip -o $(CARGO_TARGET)/windows/$(WIN_NAME)/loupe-forwarder.exe $(WIN_EXE)
	for f in forwarder.toml install.ps1; do \
	  sed 's/$$/\r/' forwarder/packaging/windows/$$f > $(CARGO_TARGET)/windows/$(WIN_NAME)/$$f; done
	cd $(CARGO_TARGET)/windows && python3 -m zipfile -c $(WIN_NAME).zip $(WIN_NAME)
	@echo "$(WIN_ZIP)"

## mingw, wine: Debian's MinGW-w64 (the Windows build's C compiler and linker; the tests' shim DLL) and
## Wine (runs the Windows forwarder in the tests).
mingw:
	$(call apt_install,x86_64-w64-mingw32-gcc,gcc-mingw-w64-x86-64)
wine: mingw
	$(call apt_install,wine,wine wine64)

fmt:
	cargo fmt --all

lint: web
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

clean:
	cargo clean
