#!/usr/bin/env bash
# Add DuplicAlt to the Linux applications menu (double-click start): writes a .desktop
# entry and an icon under ~/.local/share.  Usage: bash install-desktop-entry.sh [PROGRAM]
# PROGRAM defaults to, the first that exists: the app beside this script (the copy inside
# dist/duplicalt/), this checkout's standalone app (dist/duplicalt/duplicalt, built by
# scripts/build_app.sh), this checkout's scripts/run.sh.  Undo: remove the two files it names.
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)"
program="${1:-}"
if [ -z "$program" ]; then
    for candidate in "$self/duplicalt" "$self/../dist/duplicalt/duplicalt" "$self/../scripts/run.sh"; do
        if [ -f "$candidate" ] && [ -x "$candidate" ]; then program="$candidate"; break; fi
    done
fi
[ -n "$program" ] && [ -x "$program" ] || { echo "install-desktop-entry: no program to start (${program:-none found})" >&2; exit 1; }
program="$(cd "$(dirname "$program")" && pwd)/$(basename "$program")"
icon="$self/duplicalt.svg"
[ -f "$icon" ] || icon="$self/../duplicalt/gui/duplicalt.svg"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/scalable/apps"
mkdir -p "$apps" "$icons"
cp "$icon" "$icons/duplicalt.svg"
sed "s|^Exec=.*|Exec=\"$program\" %f|" "$self/duplicalt.desktop" > "$apps/duplicalt.desktop"
chmod +x "$apps/duplicalt.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "installed $apps/duplicalt.desktop (starts $program) and $icons/duplicalt.svg"
