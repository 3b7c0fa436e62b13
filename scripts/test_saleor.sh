#!/usr/bin/env bash
# The Saleor integration suite (make test-saleor), in a Python environment where
# Saleor 3.23 and this package are installed.
#   SALEOR_PYTHON  that environment's python (required)
#   SALEOR_DIR     Saleor's source tree (its conftest-free fixtures are imported from it)
#   DATABASE_URL   a PostgreSQL server with pgvector; default: the embedded server,
#                  database "saleor" (pytest-django creates and reuses "test_saleor")
#   PYTEST_ARGS    extra pytest arguments
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SALEOR_PYTHON:?Set SALEOR_PYTHON to the python of a Saleor 3.23 environment (make saleor-env builds one)}"
SALEOR_PYTHON=$(cd "$(dirname "$SALEOR_PYTHON")" && pwd)/$(basename "$SALEOR_PYTHON")
SALEOR_DIR=$(cd "${SALEOR_DIR:-$(dirname "$SALEOR_PYTHON")/../..}" && pwd)
test -d "$SALEOR_DIR/saleor" || { echo "SALEOR_DIR=$SALEOR_DIR is not a Saleor source tree (no saleor/ folder)"; exit 2; }
if [ -z "${DATABASE_URL:-}" ]; then
    DATABASE_URL=$("$(dirname "$SALEOR_PYTHON")/saleor-personalization" db start --database saleor)
fi
export DATABASE_URL
# Saleor's test settings, whatever the shell exports (--ds below wins over it too).
unset DJANGO_SETTINGS_MODULE
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} TOKENIZERS_PARALLELISM=false
cd tests/saleor_integration
# shellcheck disable=SC2086
PYTHONPATH="$SALEOR_DIR${PYTHONPATH:+:$PYTHONPATH}" exec "$SALEOR_PYTHON" -m pytest --ds=saleor.tests.settings ${PYTEST_ARGS:-} "$@"
