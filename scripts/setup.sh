#!/usr/bin/env bash
# Create or update .venv with DuplicAlt and its dependencies. Idempotent and quick
# when nothing changed. Usage: scripts/setup.sh [extra,...]   (e.g. "test")
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
PY="${PYTHON:-python3}"
# torch is pinned: 2.13.0 is the CPU build this kind of machine has on disk. An
# unpinned or newer torch would pull several GB of CUDA packages. Override with
# TORCH_SPEC (e.g. TORCH_SPEC="torch==2.5.1") on machines that need another build.
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=".venv/.duplicalt-installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras:-base}"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check "$TORCH_SPEC" 2>&1 | grep -v "^WARNING: Location" || true
    .venv/bin/python -c "import torch" || { echo "setup: torch failed to install ($TORCH_SPEC)" >&2; exit 1; }
    target="."
    [ -n "$extras" ] && target=".[$extras]"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e "$target" 2>&1 | grep -v "^WARNING: Location" || true
    .venv/bin/python -c "import duplicalt.cli.main, faiss, PIL" || { echo "setup: install failed" >&2; exit 1; }
    rm -f .venv/.duplicalt-installed-*
    touch "$stamp"
fi
