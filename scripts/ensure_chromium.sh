#!/bin/sh
# Install Debian's Chromium (and pdftotext) for the browser tests when they are missing.
# Quiet; never fails the build: without root or apt-get the browser tests skip and say why.
set -u
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
command -v pdftotext >/dev/null 2>&1 || need="$need poppler-utils"
[ -n "$need" ] || exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: missing:$need (not root or no apt-get); the browser tests will skip." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $need >/dev/null 2>&1; then
    echo "ensure_chromium: installed$need." >&2
else
    echo "ensure_chromium: could not install$need; the browser tests will skip." >&2
fi
exit 0
