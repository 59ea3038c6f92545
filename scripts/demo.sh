#!/usr/bin/env bash
# make demo: start the simulated portals (gkmlpt and UCAP sites on one proxy; the gkmlpt sites as
# the real ones are: the list API shows a recent window only, the portal report columns hold
# reports found nowhere else and other towns' reports), crawl both platforms into data/demo.db in
# one run with the real spiders and the default politeness, stop the portal, print the run's
# summary and the archive's status (unassigned reports last).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8601}
mkdir -p data
.venv/bin/python -m tests.ucap_portal --with-gkmlpt --gkmlpt-faults list_window,portal_columns \
  --port "$port" > data/demo-portal.log 2>&1 &
portal=$!
trap 'kill "$portal" 2>/dev/null; wait "$portal" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "listening" data/demo-portal.log 2>/dev/null && break
  kill -0 "$portal" 2>/dev/null || { cat data/demo-portal.log >&2; exit 1; }
  sleep 0.1
done
url=$(grep -o 'http://[0-9.]*:[0-9]*' data/demo-portal.log | head -1)  # port 0: any free port
echo "simulated portal on $url; crawling (politely: >= 1 s between requests per host)"
# One sites file for both platforms: the gkmlpt portal's sites, then the UCAP portal's.
{ cat tests/portal/sites.toml; sed -n '/^\[sites\./,$p' tests/ucap_portal/sites.toml; } > data/demo-sites.toml
status=0
.venv/bin/gkarchive crawl --sites data/demo-sites.toml --db data/demo.db \
  --proxy "$url" --log-level WARNING || status=$?
echo
.venv/bin/gkarchive status --db data/demo.db
exit "$status"
