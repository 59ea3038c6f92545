#!/usr/bin/env bash
# make demo: start the simulated gkmlpt portal as the real sites are (the list API shows a
# recent window only, the portal report columns hold reports found nowhere else and other
# towns' reports), crawl it into data/demo.db with the real spider and the default politeness,
# stop the portal, print the run's summary and the archive's status (unassigned reports last).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8601}
mkdir -p data
.venv/bin/python -m tests.portal --port "$port" --faults list_window,portal_columns \
  > data/demo-portal.log 2>&1 &
portal=$!
trap 'kill "$portal" 2>/dev/null; wait "$portal" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "listening" data/demo-portal.log 2>/dev/null && break
  kill -0 "$portal" 2>/dev/null || { cat data/demo-portal.log >&2; exit 1; }
  sleep 0.1
done
echo "simulated portal on 127.0.0.1:$port; crawling (politely: >= 1 s between requests per host)"
status=0
.venv/bin/gkarchive crawl --sites tests/portal/sites.toml --db data/demo.db \
  --proxy "http://127.0.0.1:$port" --log-level WARNING || status=$?
echo
.venv/bin/gkarchive status --db data/demo.db
exit "$status"
