#!/usr/bin/env bash
# Verify the vendored JavaScript against its SHA256SUMS (static/vendor for the app,
# tests/support/vendor for the browser tests' axe-core). No network.
set -euo pipefail
root="$(dirname "${BASH_SOURCE[0]}")/.."
(cd "$root/static/vendor" && sha256sum --check --strict SHA256SUMS)
(cd "$root/tests/support/vendor" && sha256sum --check --strict SHA256SUMS)
