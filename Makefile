# driftline: the README's commands. `make demo` and `make test` each do the whole set-up on a
# fresh machine (Python 3.11 and the Rust toolchain): a .venv with pinned packages, the native
# extension built in release mode, then the job itself.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
VENV := $(CURDIR)/.venv
RUST_SOURCES := $(shell find rust -name '*.rs' -o -name Cargo.toml) Cargo.toml pyproject.toml
BENCH_QUICK ?= 1

.PHONY: demo test test-rust test-python bench bench-quick lint fmt setup system-deps clean

setup: .venv/.native-stamp

.venv/.deps-stamp: constraints.txt pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt maturin pyarrow polars numpy numba scipy scikit-learn \
		"sqlalchemy>=2" alembic "psycopg[binary]" cryptography typer rich fastapi uvicorn httptools uvloop httpx \
		prometheus-client plotly pytest pytest-benchmark pytest-timeout hypothesis ruff mypy \
		fairlearn pandas playwright tomli-w pyspark "dask[dataframe,distributed]" "ray[data]" schemathesis
	touch $@

.venv/.native-stamp: .venv/.deps-stamp $(RUST_SOURCES)
	VIRTUAL_ENV=$(VENV) PATH=$(VENV)/bin:$$PATH $(VENV)/bin/maturin develop --release -q
	touch $@

demo: setup
	.venv/bin/driftline demo

# System packages the tests need (PostgreSQL for the registry suite, chromium for the
# browser tests); installed with apt-get when missing, PostgreSQL started on loopback.
system-deps:
	bash scripts/system-deps.sh

test: setup system-deps test-rust test-python bench-quick

test-rust:
	# The binding crate is exercised through pytest; its Rust tests would only rebuild PyO3.
	cargo test -p driftline-core -q

test-python: setup
	set -a; [ -f .driftline-test.env ] && source .driftline-test.env; set +a; \
		$(PY) -m pytest -q tests

bench-quick: setup
	DRIFTLINE_BENCH_QUICK=1 $(PY) -m pytest -q benches --benchmark-disable-gc \
		--benchmark-min-rounds=1 --benchmark-max-time=0.2 --benchmark-warmup=off

bench: setup
	mkdir -p bench-results/raw
	# The page is written even when a case fails; make still exits with pytest's status.
	DRIFTLINE_BENCH_QUICK=0 $(PY) -m pytest -q benches --benchmark-json=bench-results/raw/results.json; \
		status=$$?; $(PY) benches/report.py bench-results/raw/results.json bench-results; exit $$status

lint: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -q -- -D warnings
	.venv/bin/ruff check python tests benches
	.venv/bin/ruff format --check python tests benches

fmt:
	cargo fmt --all
	.venv/bin/ruff format python tests benches
	.venv/bin/ruff check --fix python tests benches

clean:
	rm -rf target .venv
