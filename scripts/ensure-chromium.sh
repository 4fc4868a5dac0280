#!/usr/bin/env bash
# Make sure a Chromium the browser tests can drive is installed.
#
# The browser tests (tests/browser) drive Debian's `chromium` package through
# Playwright; they never download a browser. This script:
#   * exits 0 if $GOVDATA_CHROMIUM names an executable, or /usr/bin/chromium exists;
#   * otherwise installs the `chromium` package with apt-get (as root, or via
#     `sudo -n` when that works without a password) and checks the result;
#   * otherwise exits 1 and says how to install it.
set -euo pipefail

readonly DEFAULT_CHROMIUM=/usr/bin/chromium

say() { printf 'ensure-chromium: %s\n' "$*"; }
fail() { printf 'ensure-chromium: %s\n' "$*" >&2; exit 1; }

show_version() {
    # The Debian launcher may print harmless shell warnings on stderr; keep stdout only.
    local version
    version=$("$1" --version 2>/dev/null || true)
    say "${version:-$1 (version unknown)} at $1"
}

if [[ -n "${GOVDATA_CHROMIUM:-}" ]]; then
    if [[ -f "$GOVDATA_CHROMIUM" && -x "$GOVDATA_CHROMIUM" ]]; then
        show_version "$GOVDATA_CHROMIUM"
        exit 0
    fi
    say "GOVDATA_CHROMIUM=$GOVDATA_CHROMIUM is not an executable file; looking for $DEFAULT_CHROMIUM"
fi

if [[ -x "$DEFAULT_CHROMIUM" ]]; then
    show_version "$DEFAULT_CHROMIUM"
    exit 0
fi

install_with() {
    # "$@" is the privilege prefix: empty when root, `sudo -n` otherwise.
    say "installing the chromium package with apt-get"
    # Wait (up to 5 minutes) rather than fail when another apt run holds the lock.
    "$@" apt-get -o DPkg::Lock::Timeout=300 update -qq
    "$@" env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium
}

if [[ "$(id -u)" -eq 0 ]]; then
    install_with
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    install_with sudo -n
else
    fail "chromium is not installed at $DEFAULT_CHROMIUM and this script cannot install it
(not root, and passwordless sudo is unavailable). Install it with:
    sudo apt-get update && sudo apt-get install -y chromium
or point GOVDATA_CHROMIUM at an existing Chromium executable."
fi

if [[ -x "$DEFAULT_CHROMIUM" ]]; then
    show_version "$DEFAULT_CHROMIUM"
    exit 0
fi
fail "apt-get finished but $DEFAULT_CHROMIUM is still missing"
