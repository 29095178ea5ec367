#!/usr/bin/env bash
# Fuzzes the webhook request path of `suture serve` (target `webhook`: signature, headers, payload parse, the
# decision to queue; seeded with GitHub's example deliveries in seeds/webhook) for SECONDS (default 60) and
# prints its executions and crashes. The mechanics are scripts/fuzz.sh's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../../../scripts/fuzz.sh" "$here" "${1:-60}" webhook=seeds/webhook
