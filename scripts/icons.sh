#!/bin/sh
# Makes the app's icons from resources/icon.svg with Debian's tools
# (apt-get install librsvg2-bin icnsutils imagemagick); the results are committed.
set -eu
cd "$(dirname "$0")/../resources"
mkdir -p icons
for s in 16 24 32 48 64 128 256 512 1024; do rsvg-convert -w "$s" -h "$s" icon.svg -o "icons/${s}x${s}.png"; done
cp icons/1024x1024.png icon.png
# ICNS: the sizes macOS reads (png2icns picks each image's slot by its size).
png2icns icon.icns icons/16x16.png icons/32x32.png icons/48x48.png icons/128x128.png icons/256x256.png icons/512x512.png icons/1024x1024.png >/dev/null
# ICO: Windows' sizes up to 256, PNG-compressed at 256.
/usr/bin/convert icons/16x16.png icons/24x24.png icons/32x32.png icons/48x48.png icons/64x64.png icons/128x128.png icons/256x256.png icon.ico
