#!/usr/bin/env bash
# Wrap the one-folder app as an AppImage: packaging/appimage.sh [dist/soraboard]
#
# Always builds dist/soraboard.AppDir (AppRun, desktop file, icons, AppStream metainfo, the
# app in usr/lib/soraboard) and checks that its AppRun starts. Then, in this order:
#   1. `appimagetool` on PATH (or $APPIMAGETOOL)  -> dist/soraboard-VERSION-ARCH.AppImage
#   2. $APPIMAGE_RUNTIME = an AppImage type-2 runtime file (runtime-x86_64 from the AppImage
#      project) and mksquashfs (Debian: squashfs-tools) -> the same AppImage, assembled by hand
#      (runtime + squashfs image of the AppDir)
#   3. neither: says so, and leaves the AppDir (runnable as is: dist/soraboard.AppDir/AppRun)
#      and, when mksquashfs exists, dist/soraboard.AppDir.squashfs, ready for step 2.
# Neither appimagetool nor the runtime is packaged by Debian or PyPI (the PyPI tools download
# them from GitHub when they run), so on a machine limited to those registries step 3 is
# what happens.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
APP=$(realpath "${1:-dist/soraboard}")
DIST=$(dirname "$APP")
ARCH=$(uname -m)
[ -x "$APP/soraboard" ] || { echo "no frozen app in $APP (run packaging/build.sh)" >&2; exit 2; }
VERSION=$("$APP/soraboard" --version | awk '{print $2}')
APPDIR=$DIST/soraboard.AppDir
OUT=$DIST/soraboard-$VERSION-$ARCH.AppImage

echo "   AppDir: $APPDIR"
rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/lib" "$APPDIR/usr/bin" "$APPDIR/usr/share/applications" \
  "$APPDIR/usr/share/metainfo" "$APPDIR/usr/share/icons/hicolor/scalable/apps"
cp -a "$APP" "$APPDIR/usr/lib/soraboard"
ln -s ../lib/soraboard/soraboard "$APPDIR/usr/bin/soraboard"
cat > "$APPDIR/AppRun" <<'RUN'
#!/bin/sh
# AppImage entry point: the frozen soraboard inside this AppDir, with every argument.
HERE=$(dirname "$(readlink -f "$0")")
exec "$HERE/usr/lib/soraboard/soraboard" "$@"
RUN
chmod +x "$APPDIR/AppRun"
cp resources/soraboard.desktop "$APPDIR/soraboard.desktop"
cp resources/soraboard.desktop "$APPDIR/usr/share/applications/soraboard.desktop"
cp resources/io.github.soraboard.soraboard.metainfo.xml "$APPDIR/usr/share/metainfo/"
# AppImage tooling looks for <id>.appdata.xml too
cp resources/io.github.soraboard.soraboard.metainfo.xml \
  "$APPDIR/usr/share/metainfo/io.github.soraboard.soraboard.appdata.xml"
for size in 16 24 32 48 64 128 256 512; do
  mkdir -p "$APPDIR/usr/share/icons/hicolor/${size}x${size}/apps"
  cp "resources/icons/soraboard-$size.png" \
    "$APPDIR/usr/share/icons/hicolor/${size}x${size}/apps/soraboard.png"
done
cp resources/icons/soraboard.svg "$APPDIR/usr/share/icons/hicolor/scalable/apps/soraboard.svg"
cp resources/icons/soraboard-256.png "$APPDIR/soraboard.png"
ln -s soraboard.png "$APPDIR/.DirIcon"

"$APPDIR/AppRun" --version >/dev/null || { echo "the AppDir's AppRun does not start" >&2; exit 1; }
echo "   AppRun starts: $("$APPDIR/AppRun" --version)"

TOOL=${APPIMAGETOOL:-$(command -v appimagetool || true)}
if [ -n "$TOOL" ]; then
  ARCH=$ARCH "$TOOL" --no-appstream "$APPDIR" "$OUT"
  echo "   AppImage: $OUT ($(du -h "$OUT" | cut -f1))"
  exit 0
fi

if command -v mksquashfs >/dev/null 2>&1; then
  IMG=$APPDIR.squashfs
  rm -f "$IMG"
  # the options appimagetool uses; the type-2 runtime reads zstd (older runtimes: gzip)
  mksquashfs "$APPDIR" "$IMG" -root-owned -noappend -comp "${APPIMAGE_COMP:-zstd}" \
    -quiet -no-progress >/dev/null
  echo "   squashfs image of the AppDir: $IMG ($(du -h "$IMG" | cut -f1))"
  if [ -n "${APPIMAGE_RUNTIME:-}" ]; then
    cat "$APPIMAGE_RUNTIME" "$IMG" > "$OUT"
    chmod +x "$OUT"
    rm -f "$IMG"
    echo "   AppImage (runtime $APPIMAGE_RUNTIME + squashfs): $OUT ($(du -h "$OUT" | cut -f1))"
    exit 0
  fi
fi

cat <<MSG
   NO AppImage made: neither appimagetool nor an AppImage runtime is available here (Debian
   and PyPI do not package them). Left: $APPDIR (run it as $APPDIR/AppRun)${IMG:+ and $IMG}.
   To finish elsewhere: appimagetool $APPDIR $(basename "$OUT")
   or: cat runtime-$ARCH $APPDIR.squashfs > $(basename "$OUT") && chmod +x $(basename "$OUT")
   or rerun with APPIMAGE_RUNTIME=/path/to/runtime-$ARCH (or APPIMAGETOOL=...) set.
MSG
