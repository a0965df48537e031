# The two commands of a fresh machine: `make demo` and `make test` (CI runs `make test`).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the tests drive: the browser for page tests, ffmpeg/ffprobe for media checks,
# GStreamer's RTSP server (run by the system Python with its GObject bindings) as a live camera,
# oathtool as a second implementation of the authenticator codes.
TEST_DEBIAN_PACKAGES := chromium ffmpeg python3-gi gir1.2-gst-rtsp-server-1.0 \
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly oathtool systemd

.PHONY: demo test lint typecheck system-packages services messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/custos demo --host $(HOST) --port $(PORT)

system-packages:
	scripts/ensure-debian-packages $(TEST_DEBIAN_PACKAGES)

services:
	scripts/start-services

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Parallel workers, one more than the cores: the slowest tests wait on timeouts, outages and
# I/O, not the CPU (on two cores: 16.5 min with three workers against 17.7 with two).
TEST_WORKERS ?= $(shell expr $$(nproc) + 1)

test: $(VENV)/.installed-dev system-packages services lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The translation catalogues, brought up to date with the pages (then translate what is new).
messages: $(VENV)/.installed-dev
	$(BIN)/python scripts/messages.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
