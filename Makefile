# Two entry points (see README): `make dashboard` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
KB_DIR ?= .

.PHONY: setup dashboard test check browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[app,test]'
	touch $@

setup: $(VENV)/.installed

dashboard: setup
	KB_DIR=$(KB_DIR) $(BIN)/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

browser:
	@scripts/ensure-chromium.sh

test: setup browser
	$(BIN)/python -m pytest

check: setup
	$(BIN)/kb check --kb $(KB_DIR)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
