#!/usr/bin/env bash
# Re-lock requirements/constraints.txt (pip-tools) after a dependency changed in
# pyproject.toml: the exact versions scripts/setup.sh and scripts/build_app.sh install.
# Usage: bash requirements/compile.sh [--upgrade]   (needs pip-tools: pip install pip-tools)
# Pins already in the file are kept unless --upgrade; torch stays at the version in
# requirements/torch.in, written without the "+cpu" local label so that any build
# of that version satisfies it.
set -euo pipefail
cd "$(dirname "$0")/.."
pip-compile -q --extra test --extra bench --strip-extras --allow-unsafe \
    --no-emit-index-url --no-emit-find-links "$@" \
    -o requirements/constraints.txt pyproject.toml requirements/torch.in requirements/build-app.in
sed -i -E 's/^(torch==[0-9.]+)\+[a-z0-9]+/\1/' requirements/constraints.txt
