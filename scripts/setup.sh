#!/usr/bin/env bash
# Create or update .venv with DuplicAlt and its dependencies, at the exact versions
# locked in requirements/constraints.txt (pip-tools; re-lock with requirements/compile.sh).
# Idempotent and instant when nothing changed. Usage: scripts/setup.sh [extra,...] (e.g. "test")
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
PY="${PYTHON:-python3}"
# torch is pinned (constraints.txt): 2.13.0 is the CPU build this kind of machine has on
# disk. An unpinned or newer torch would pull several GB of CUDA packages. Override with
# TORCH_SPEC (e.g. TORCH_SPEC="torch==2.5.1") on machines that need another build.
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
constraints=requirements/constraints.txt
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
# One venv serves scripts/run.sh (no extras) and scripts/test.sh ("test"): each set of
# extras keeps its own stamp for this pyproject + lock + torch, and any stamp satisfies
# the plain install, so neither command makes the other reinstall.
key="$( (cat pyproject.toml "$constraints"; echo "$TORCH_SPEC") | sha256sum | cut -c1-16)"
stamps=.venv/.duplicalt-setup
if [ -f "$stamps/$key-${extras:-base}" ] || { [ -z "$extras" ] && compgen -G "$stamps/$key-*" >/dev/null; }; then
    exit 0
fi
if [ "$TORCH_SPEC" != "$(grep -E '^torch==' "$constraints")" ]; then
    grep -vE '^torch==' "$constraints" > .venv/.constraints-other-torch.txt
    constraints=.venv/.constraints-other-torch.txt
fi
target="."
[ -n "$extras" ] && target=".[$extras]"
echo "setup: installing DuplicAlt${extras:+ [$extras]} into .venv from $constraints (the first time takes a few minutes)" >&2
log="$(mktemp)"
# One pip run for everything, so numpy is there before torch is first imported.
if ! .venv/bin/python -m pip install -q --disable-pip-version-check -c "$constraints" \
        "$TORCH_SPEC" -e "$target" >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" >&2 || true
    rm -f "$log"
    echo "setup: pip install failed (torch: $TORCH_SPEC, lock: $constraints)" >&2
    exit 1
fi
# The only expected noise is pip's note about this machine's unused extra index folders.
grep -v "^WARNING: Location" "$log" >&2 || true
rm -f "$log"
.venv/bin/python -c "import torch, numpy, faiss, PIL, cv2, duplicalt.cli.main" \
    || { echo "setup: the installed packages do not import" >&2; exit 1; }
mkdir -p "$stamps"
find "$stamps" -type f ! -name "$key-*" -delete  # stamps of an older lock
rm -f .venv/.duplicalt-installed-*
touch "$stamps/$key-${extras:-base}"
