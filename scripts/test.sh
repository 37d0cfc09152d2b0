#!/usr/bin/env bash
# Set up (first time) and run the whole test suite, slow tests included.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/setup.sh" test
cd "$here"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
# The import direction (pyproject.toml [tool.importlinter], docs/architecture.md).
.venv/bin/lint-imports --no-cache > /tmp/duplicalt-lint-imports.$$ 2>&1 \
    || { cat /tmp/duplicalt-lint-imports.$$ >&2; rm -f /tmp/duplicalt-lint-imports.$$; exit 1; }
grep -E "^Contracts:" /tmp/duplicalt-lint-imports.$$ | sed 's/^/lint-imports: /'; rm -f /tmp/duplicalt-lint-imports.$$
exec .venv/bin/python -m pytest "$@"
