#!/bin/sh
# Create .venv and install the pinned requirements when they changed.
set -eu

PROJECT_DIR=$(cd "$(dirname "$0")/.." && pwd)
VENV="$PROJECT_DIR/.venv"
STAMP="$VENV/.requirements.sha256"
WANTED=$(sha256sum "$PROJECT_DIR/requirements.txt" | cut -d' ' -f1)

if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating $VENV" >&2
    python3 -m venv "$VENV"
fi

if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANTED" ]; then
    echo "Installing Python requirements" >&2
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet -r "$PROJECT_DIR/requirements.txt"
    echo "$WANTED" > "$STAMP"
fi
