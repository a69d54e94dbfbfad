#!/usr/bin/env bash
# Installs what the tests need into .venv (from this project's own pyproject.toml) and runs them,
# after the style hooks of .pre-commit-config.yaml (ruff, prettier, eslint) over the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

# Style: the same hooks a commit runs, so style never drifts. A hook that fixes a file (ruff
# --fix, ruff format, prettier) fails the run and leaves the fix in the tree to commit.
# The hook environments come from PyPI and npm, once per machine (~/.cache/pre-commit).
# Skipped, and said so, where there is no git checkout (pre-commit needs one) or with
# NO_STYLE_CHECK=1.
if [ -n "${NO_STYLE_CHECK:-}" ]; then
  echo "SKIPPED: style hooks (NO_STYLE_CHECK is set)"
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  .venv/bin/pre-commit run --all-files --show-diff-on-failure
else
  echo "SKIPPED: style hooks (not a git checkout)"
fi

# pytest exits 5 when it collects nothing: that must fail CI, and it does (set -e).
.venv/bin/python -m pytest -q "$@"
