#!/usr/bin/env bash
# The test command: installs what is needed, then lint, format check and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check kommunetest tests bench scripts
.venv/bin/ruff format --check kommunetest tests bench scripts
.venv/bin/python -m pytest "$@"
