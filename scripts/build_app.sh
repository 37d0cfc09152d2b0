#!/usr/bin/env bash
# Build the standalone app with PyInstaller: a folder holding Python, torch (CPU), Qt and
# the model, needing no system Python and no venv.  Usage: bash scripts/build_app.sh
#   Linux:   dist/duplicalt/duplicalt   (double-click start: bash packaging/install-desktop-entry.sh)
#   macOS:   dist/DuplicAlt.app         Windows (Git Bash): dist/duplicalt/duplicalt.exe
# The build venv is build/app-venv (git-ignored), apart from .venv; versions come from
# requirements/constraints.txt, torch from TORCH_SPEC as in scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
venv=build/app-venv
bin="$venv/bin"
[ -d "$venv/Scripts" ] && bin="$venv/Scripts"  # Windows
started=$(date +%s)
if [ ! -d "$venv" ]; then
    "$PY" -m venv "$venv"
    [ -d "$venv/Scripts" ] && bin="$venv/Scripts"
fi
constraints=requirements/constraints.txt
if [ "$TORCH_SPEC" != "$(grep -E '^torch==' "$constraints")" ]; then
    grep -vE '^torch==' "$constraints" > "$venv/constraints-other-torch.txt"
    constraints="$venv/constraints-other-torch.txt"
fi
rm -rf build/lib build/bdist.*  # setuptools' in-tree build folder may hold deleted modules
echo "build_app: installing DuplicAlt (not editable) and PyInstaller into $venv" >&2
"$bin/python" -m pip install -q --disable-pip-version-check -c "$constraints" \
    "$TORCH_SPEC" pyinstaller . 2>&1 | { grep -v "^WARNING: Location" || true; }
"$bin/python" -c "import duplicalt.ml.model.loading as m; m.find_model()" \
    || { echo "build_app: the build venv has no model" >&2; exit 1; }
echo "build_app: bundling (a few minutes)" >&2
# (torch's own deprecation notices, printed while PyInstaller lists its submodules, are dropped)
"$bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/duplicalt.spec \
    2> >(grep -vE "DeprecationWarning|^  __import__\(name\)$" >&2)
app=dist/duplicalt
if [ "$(uname -s)" = Linux ]; then
    # The menu entry + icon travel with the app folder: run its install-desktop-entry.sh
    # wherever the folder is put (e.g. /opt/duplicalt) to add DuplicAlt to the menu.
    cp duplicalt/gui/duplicalt.svg packaging/duplicalt.desktop packaging/install-desktop-entry.sh "$app/"
fi
exe="$app/duplicalt"
[ -x "$exe.exe" ] && exe="$exe.exe"
"$exe" --version >/dev/null || { echo "build_app: $exe does not start" >&2; exit 1; }
echo "build_app: built $exe ($(du -sh "$app" | cut -f1), $(du -s --apparent-size -m "$app" 2>/dev/null | cut -f1) MB" \
     "apparent) in $(( $(date +%s) - started )) s" >&2
