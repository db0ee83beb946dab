#!/usr/bin/env bash
# Installs what is missing, builds, and serves config/portcullis.yaml (or the
# configuration given with --config). Extra arguments go to `portcullis serve`.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

pc_ensure_packages "${PC_BUILD_PACKAGES[@]}"
pc_build
cd "$PC_ROOT"
if [[ " $* " != *" --config"* ]]; then set -- --config config/portcullis.yaml "$@"; fi
pc_log "serving: build/portcullis serve $*"
exec "$PC_BUILD/portcullis" serve "$@"
