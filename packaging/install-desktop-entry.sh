#!/usr/bin/env bash
# Add DuplicAlt to the Linux desktop menu (double-click start): writes a .desktop
# entry and an icon under ~/.local/share that start this checkout's window.
# Usage: bash packaging/install-desktop-entry.sh   (undo: remove the two files it names)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/scalable/apps"
mkdir -p "$apps" "$icons"
cp "$here/duplicalt/gui/duplicalt.svg" "$icons/duplicalt.svg"
sed "s|^Exec=.*|Exec=\"$here/scripts/run.sh\"|" "$here/packaging/duplicalt.desktop" \
    > "$apps/duplicalt.desktop"
chmod +x "$apps/duplicalt.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "installed $apps/duplicalt.desktop and $icons/duplicalt.svg"
