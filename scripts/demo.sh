#!/usr/bin/env bash
# The main command: installs what is needed, then runs a full rehearsal round on the embedded defaults.
# Everything runs on loopback; nothing contacts a real municipality.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/kommunetest demo "$@"
