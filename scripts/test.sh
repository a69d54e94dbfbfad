#!/usr/bin/env bash
# Installs what the tests need into .venv (from this project's own pyproject.toml) and runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
# pytest exits 5 when it collects nothing: that must fail CI, and it does (set -e).
.venv/bin/python -m pytest -q "$@"
