# One command each: `make demo` (the main job), `make test` (the suite).
# Both create the virtual environment from the repo's own files when missing.

# The first candidate that really runs Python 3.12 (a pyenv shim may exist but not run).
PYTHON312 ?= $(shell for p in python3.12 $(HOME)/.pyenv/versions/3.12*/bin/python3.12; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { command -v $$p; break; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATASETS ?= ../shared/datasets

.PHONY: venv demo test test-saleor evaluate bench clean

venv: $(STAMP)

$(STAMP): setup.py constraints.txt
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found: install it or pass PYTHON312=/path/to/python3.12"; exit 1; }
	@$(PYTHON312) -c 'import sys; assert sys.version_info[:2] == (3, 12), sys.version' \
		|| { echo "$(PYTHON312) is not Python 3.12 (Saleor 3.23's version)"; exit 1; }
	test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: venv
	$(VENV)/bin/saleor-personalization demo

test: venv
	$(PY) -m pytest

evaluate: venv
	$(VENV)/bin/saleor-personalization evaluate --dataset $(DATASETS)/amazon-scientific --report reports/amazon-scientific
	$(VENV)/bin/saleor-personalization evaluate --dataset $(DATASETS)/ml-latest-small --report reports/ml-latest-small

bench: venv
	$(PY) benchmarks/bench_search.py

clean:
	rm -rf $(VENV) build *.egg-info

# The Saleor integration suite, in an environment where Saleor 3.23 is installed
# (see README, "Install into Saleor"):
#   make test-saleor SALEOR_PYTHON=/path/to/saleor/.venv/bin/python [SALEOR_DIR=/path/to/saleor]
SALEOR_DIR ?= $(abspath $(dir $(SALEOR_PYTHON))../..)
test-saleor:
	@test -n "$(SALEOR_PYTHON)" || { echo "Set SALEOR_PYTHON to the Python of a Saleor 3.23 environment (README: Install into Saleor)"; exit 2; }
	cd tests/saleor_integration && PYTHONPATH=$(SALEOR_DIR) $(SALEOR_PYTHON) -m pytest $(PYTEST_ARGS)
