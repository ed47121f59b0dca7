# quotebot: `make run` starts the chat UI on the seed statement; `make test` runs the suite.
# Both create .venv on first use (idempotent: re-run only when pyproject.toml changes).
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 7860
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup browser run chat test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: it installs the local CPU build (a range would pull CUDA)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,llm]'
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

bench: setup
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
