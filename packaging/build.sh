#!/usr/bin/env bash
# Build the one-folder Linux app (dist/soraboard/), smoke-test it and wrap it as an AppImage
# where the tools exist (otherwise an AppDir is left in dist/). See packaging/README.md.
#
#   packaging/build.sh [--no-smoke] [--no-appimage]
#
# Needs python3 (3.10+, with venv) and network access to PyPI. Makes its own build venv in
# build/pyinstaller/venv (kept between builds; SORABOARD_BUILD_VENV moves it) with
# PyInstaller 6 and soraboard installed as a wheel would be — not editable, so the build sees
# exactly the package data a user gets.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SMOKE=1
APPIMAGE=1
for arg in "$@"; do
  case "$arg" in
    --no-smoke) SMOKE=0 ;;
    --no-appimage) APPIMAGE=0 ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

PY=${PYTHON:-python3}
VENV=${SORABOARD_BUILD_VENV:-$ROOT/build/pyinstaller/venv}
WORK=$ROOT/build/pyinstaller/work
DIST=$ROOT/dist

echo "== build venv: $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
# soraboard with its dependencies and the `freeze` extra (PyInstaller 6 and its contrib
# hooks), then soraboard again from this tree (the version may not have changed, the code did)
"$VENV/bin/pip" install -q "$ROOT[freeze]"
"$VENV/bin/pip" install -q --no-deps --force-reinstall "$ROOT"
"$VENV/bin/python" -m PyInstaller --version | sed 's/^/   PyInstaller /'

echo "== icons and desktop files"
QT_QPA_PLATFORM=offscreen "$VENV/bin/python" packaging/render_icons.py --check

echo "== PyInstaller: dist/soraboard/"
start=$(date +%s)
"$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --workpath "$WORK" --distpath "$DIST" packaging/soraboard.spec
echo "   built in $(( $(date +%s) - start )) s: $(du -sh "$DIST/soraboard" | cut -f1)"

if [ "$SMOKE" = 1 ]; then
  echo "== smoke test of the frozen app"
  "$VENV/bin/python" packaging/smoke_test.py "$DIST/soraboard/soraboard"
fi

if [ "$APPIMAGE" = 1 ]; then
  echo "== AppImage"
  packaging/appimage.sh "$DIST/soraboard"
fi
