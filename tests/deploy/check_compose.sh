#!/usr/bin/env bash
# Validates docker-compose.yml with the compose client (there is no Docker engine here to run it) and
# checks that it names every edfleet service and every fleet topic.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
docker-compose -f docker-compose.yml config -q
config=$(docker-compose -f docker-compose.yml config)
for svc in ingest analytics rules summaries notify gateway; do
  grep -q "edfleet-$svc" <<<"$config" || { echo "compose: no service runs edfleet-$svc" >&2; exit 1; }
done
for topic in events actions insights alerts deliveries rules.repartition; do
  grep -q "edfleet.$topic.v1" <<<"$config" || { echo "compose: topic edfleet.$topic.v1 not created" >&2; exit 1; }
done
echo "compose: ok"
