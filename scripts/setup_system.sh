#!/bin/sh
# Install the Debian/Ubuntu packages the project needs, if any is missing.
# Runs apt-get as root, or through sudo when run as another user.
set -eu

# docker-compose validates docker-compose.yml in the test suite (tests/ops/test_compose.py); no engine is needed.
PACKAGES="postgresql postgresql-postgis gdal-bin libgdal-dev gettext chromium chromium-driver python3-venv python3-dev build-essential docker-compose"

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "Installing system packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
else
    SUDO="sudo"
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
