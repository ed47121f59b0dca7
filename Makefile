# quotebot: `make run` starts the chat UI on the seed statement; `make test` runs the suite;
# `make wheel-check` builds the wheel and runs it from a fresh venv outside the repository.
# They create .venv on first use (idempotent: re-run only when pyproject.toml changes).
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 7860
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
SHELL   := bash

.PHONY: setup browser run chat test lint bench clean wheel-check

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: it installs the local CPU build (a range would pull CUDA)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,llm,qdrant]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the browser tests (Playwright's own download does not work here)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }

run: setup
	$(VENV)/bin/quotebot ui --host $(HOST) --port $(PORT)

chat: setup
	$(VENV)/bin/quotebot chat

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: setup browser lint
	$(PY) -m pytest

# The built wheel, installed with its pinned dependencies (torch first, as above) into a fresh
# venv, answers a question and runs the shipped question set's test split from a temporary
# folder; its only top-level package is `quotebot`. Reuses pip's cache.
WHEEL_TMP ?= $(shell mktemp -d -t quotebot-wheel-XXXXXX)
wheel-check: setup
	set -euo pipefail; tmp="$(WHEEL_TMP)"; \
	rm -rf dist; $(PY) -m pip wheel -q --no-deps --no-build-isolation -w dist .; \
	wheel=$$(ls dist/quotebot-*.whl); echo "built $$wheel"; \
	$(PY) -c "import sys, zipfile; \
	tops = {n.split('/')[0] for n in zipfile.ZipFile(sys.argv[1]).namelist()}; \
	tops = {t for t in tops if not t.endswith('.dist-info')}; \
	assert tops == {'quotebot'}, f'top-level names in the wheel: {sorted(tops)}'" "$$wheel"; \
	python3 -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install -q torch==2.13.0; \
	"$$tmp/venv/bin/python" -m pip install -q "$$wheel"; \
	mkdir -p "$$tmp/run"; cd "$$tmp/run"; \
	export QUOTEBOT_CACHE_DIR="$$tmp/cache"; \
	"$$tmp/venv/bin/quotebot" ask "How long did the meeting last?" | tee answer.txt; \
	grep -q "five hours" answer.txt; \
	qset=$$("$$tmp/venv/bin/python" -c \
	  "from quotebot.settings import DEFAULT_QUESTION_SET as s; print(s)"); \
	case "$$qset" in "$(CURDIR)"/*) echo "the shipped set comes from the repository: $$qset"; exit 1;; esac; \
	"$$tmp/venv/bin/quotebot" eval "$$qset" --split test --out "$$tmp/run/eval"; \
	test -s "$$tmp/run/eval/report.html"; \
	rm -rf "$$tmp"; echo "wheel-check passed"

bench: setup
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
