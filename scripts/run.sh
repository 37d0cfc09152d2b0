#!/usr/bin/env bash
# Set up (first time) and run DuplicAlt: scripts/run.sh scan ~/Pictures
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/setup.sh"
exec "$here/.venv/bin/duplicalt" "$@"
