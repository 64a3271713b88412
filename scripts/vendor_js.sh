#!/usr/bin/env bash
# Rebuild static/vendor/ from the npm registry.
#
#   scripts/vendor_js.sh            fetch, then verify against static/vendor/SHA256SUMS
#   scripts/vendor_js.sh --update   fetch, then rewrite SHA256SUMS (a deliberate upgrade)
#
# Only this script needs npm; running and testing the app do not (see
# scripts/check_vendor.sh). Versions are pinned exactly: npm's `latest` for
# htmx.org is 4.x, a rewrite we do not take.
set -euo pipefail

HTMX_VERSION=2.0.11
SSE_VERSION=2.2.4
# zxing-wasm: the camera's decoder where the browser has no BarcodeDetector. Its
# IIFE reader build (global ZXingWASM) plus the reader-only .wasm (~950 KB).
ZXING_VERSION=3.1.4
# axe-core: accessibility rules for the browser tests only (tests/e2e/test_accessibility.py);
# kept out of static/ so it is never served. Checked against tests/support/vendor/SHA256SUMS.
AXE_VERSION=4.14.1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/static/vendor"

update=0
case "${1:-}" in
  "") ;;
  --update) update=1 ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

command -v npm >/dev/null || { echo "vendor_js: npm not found" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/stage"

# pack_and_pick PKG VERSION OUT CANDIDATE...
# Download the exact tarball (npm checks its registry integrity), make sure it is
# the version we asked for, and copy the first candidate file that exists:
# candidates are listed minified build first.
pack_and_pick() {
  local pkg="$1" version="$2" out="$3"; shift 3
  local dir="$tmp/$pkg"
  mkdir -p "$dir"
  # Run from the temp dir so npm never touches the repo (no node_modules, no lockfile).
  (cd "$dir" && npm pack --silent --pack-destination "$dir" "$pkg@$version" >/dev/null)
  local tgz
  tgz="$(ls "$dir"/*.tgz)"
  tar -xzf "$tgz" -C "$dir"
  local got
  got="$(node -p 'require(process.argv[1]).version' "$dir/package/package.json")"
  if [[ "$got" != "$version" ]]; then
    echo "vendor_js: $pkg: expected $version, npm gave $got" >&2; exit 1
  fi
  local c
  for c in "$@"; do
    if [[ -f "$dir/package/$c" ]]; then
      cp "$dir/package/$c" "$tmp/stage/$out"
      echo "vendor_js: $pkg@$version $c -> static/vendor/$out"
      return 0
    fi
  done
  echo "vendor_js: $pkg@$version has none of: $*" >&2; exit 1
}

pack_and_pick htmx.org "$HTMX_VERSION" "htmx-$HTMX_VERSION.min.js" \
  dist/htmx.min.js dist/htmx.js
pack_and_pick htmx-ext-sse "$SSE_VERSION" "htmx-ext-sse-$SSE_VERSION.js" \
  dist/sse.min.js dist/sse.js
pack_and_pick zxing-wasm "$ZXING_VERSION" "zxing-wasm-reader-$ZXING_VERSION.js" \
  dist/iife/reader/index.js
pack_and_pick zxing-wasm "$ZXING_VERSION" "zxing-wasm-reader-$ZXING_VERSION.wasm" \
  dist/reader/zxing_reader.wasm

TEST_VENDOR="$ROOT/tests/support/vendor"
mkdir -p "$tmp/test-stage"
pack_and_pick axe-core "$AXE_VERSION" "axe-core-$AXE_VERSION.min.js" axe.min.js
mv "$tmp/stage/axe-core-$AXE_VERSION.min.js" "$tmp/test-stage/"
mkdir -p "$TEST_VENDOR"
if (( update )); then
  (cd "$tmp/test-stage" && sha256sum -- *.js) > "$tmp/test-stage/SHA256SUMS"
  cp "$tmp/test-stage/"* "$TEST_VENDOR/"
else
  cp "$TEST_VENDOR/SHA256SUMS" "$tmp/test-stage/SHA256SUMS"
  if ! (cd "$tmp/test-stage" && sha256sum --check --strict SHA256SUMS); then
    echo "vendor_js: downloaded axe-core does not match tests/support/vendor/SHA256SUMS" >&2
    exit 1
  fi
  cp "$tmp/test-stage/"*.js "$TEST_VENDOR/"
fi

mkdir -p "$VENDOR"
if (( update )); then
  (cd "$tmp/stage" && sha256sum -- *.js *.wasm) > "$tmp/stage/SHA256SUMS"
  cp "$tmp/stage/"* "$VENDOR/"
  echo "vendor_js: wrote static/vendor/SHA256SUMS:"
  cat "$VENDOR/SHA256SUMS"
else
  if [[ ! -f "$VENDOR/SHA256SUMS" ]]; then
    echo "vendor_js: static/vendor/SHA256SUMS missing; run with --update to create it" >&2
    exit 1
  fi
  # Check the fresh download before it replaces anything, so a tampered or
  # changed package never lands in static/.
  cp "$VENDOR/SHA256SUMS" "$tmp/stage/SHA256SUMS"
  if ! (cd "$tmp/stage" && sha256sum --check --strict SHA256SUMS); then
    echo "vendor_js: downloaded files do not match SHA256SUMS; nothing changed" >&2
    exit 1
  fi
  cp "$tmp/stage/"*.js "$tmp/stage/"*.wasm "$VENDOR/"
fi
