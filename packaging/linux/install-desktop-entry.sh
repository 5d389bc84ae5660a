#!/usr/bin/env sh
# Add the pycharter designer to the desktop's application menu (for this user), pointing at
# this bundle folder. Run it again after moving the folder.
set -eu
bundle=$(cd "$(dirname "$0")" && pwd)
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
mkdir -p "$apps"
sed "s|@BUNDLE@|$bundle|g" "$bundle/pycharter-gui.desktop" > "$apps/pycharter-gui.desktop"
chmod +x "$apps/pycharter-gui.desktop"
echo "Added $apps/pycharter-gui.desktop (pycharter designer)."
