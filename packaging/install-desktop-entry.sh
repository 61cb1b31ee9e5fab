#!/usr/bin/env bash
# Adds EmoTune to the Linux application menu for the current user (no root needed). Run it from the bundle
# folder, after moving that folder where it will stay:  ./install-desktop-entry.sh   (--remove to undo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
icons=${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps
if [ "${1:-}" = --remove ]; then
  rm -f "$apps/emotune.desktop" "$icons/emotune.png"
  echo "EmoTune removed from the application menu"
  exit 0
fi
[ -x "$here/EmoTune" ] || { echo "run this script from the EmoTune bundle folder (EmoTune not found in $here)" >&2; exit 1; }
mkdir -p "$apps" "$icons"
cp "$here/emotune.png" "$icons/emotune.png"
# Exec and TryExec point at this folder; quoted so a path with spaces works.
sed -e "s|^Exec=.*|Exec=\"$here/EmoTune\"|" -e "/^Exec=/a TryExec=$here/EmoTune" \
  "$here/emotune.desktop" > "$apps/emotune.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$apps" || true
echo "EmoTune added to the application menu ($apps/emotune.desktop)"
