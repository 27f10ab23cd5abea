# Two commands: `make run` (the bot, or a terminal chat without a token) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

export ANONYMIZED_TELEMETRY := False

.PHONY: run test eval bench index clean

run: $(STAMP)
	$(PY) -m bot

test: $(STAMP)
	$(PY) -m pytest -q

index: $(STAMP)
	$(PY) -m retrieval sync

eval: $(STAMP)
	$(PY) -m bench.eval $(ARGS)

bench: $(STAMP)
	$(PY) -m bench.speed
	$(PY) -m pytest -q -m large

# The venv is (re)built when pyproject.toml changes. torch goes first, exactly pinned:
# asked for by sentence-transformers without a pin, pip would take a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) var .pytest_cache
