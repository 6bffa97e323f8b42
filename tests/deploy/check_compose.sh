#!/usr/bin/env bash
# Validates docker-compose.yml with the compose client (there is no Docker engine here to run it) and
# checks that it names every edfleet service and every fleet topic.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# No default internal_auth secret: without one, compose must refuse to render the fleet.
if EDFLEET_INTERNAL_AUTH_SECRET= docker-compose -f docker-compose.yml config -q 2>/dev/null; then
  echo "compose: renders without EDFLEET_INTERNAL_AUTH_SECRET (services would share a default secret)" >&2; exit 1
fi
export EDFLEET_INTERNAL_AUTH_SECRET=compose-check-secret-0123456789abcdef0123456789
docker-compose -f docker-compose.yml config -q
config=$(docker-compose -f docker-compose.yml config)
for svc in ingest analytics rules summaries notify gateway; do
  grep -q "edfleet-$svc" <<<"$config" || { echo "compose: no service runs edfleet-$svc" >&2; exit 1; }
done
for topic in events actions insights alerts deliveries rules.repartition; do
  grep -q "edfleet.$topic.v1" <<<"$config" || { echo "compose: topic edfleet.$topic.v1 not created" >&2; exit 1; }
done
# Only the gateway's public HTTP port is published to the host.
python3 - "$config" <<'PY' || exit 1
import sys, yaml
services = yaml.safe_load(sys.argv[1])["services"]
for name, spec in services.items():
    ports = spec.get("ports", [])
    if name != "gateway" and ports:
        sys.exit(f"compose: {name} publishes {ports}; only the gateway's HTTP port may be public")
gateway = [str(p.get("published", p) if isinstance(p, dict) else p) for p in services["gateway"].get("ports", [])]
if gateway not in (["8080"], ["8080:8080"]):
    sys.exit(f"compose: the gateway publishes {gateway}; only 8080 (HTTP) may be public")
PY
echo "compose: ok"
