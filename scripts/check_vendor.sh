#!/usr/bin/env bash
# Verify the vendored JavaScript against static/vendor/SHA256SUMS. No network.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../static/vendor"
exec sha256sum --check --strict SHA256SUMS
