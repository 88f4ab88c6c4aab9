#!/usr/bin/env bash
# Issuance over HTTP with the registry on PostgreSQL: `qoltanba serve` on a fresh database, `POST /v1/documents`
# (reference.birth) by wrk, then the documents a second and the CPU per document of the service and of the
# PostgreSQL server processes (from /proc, so wrk's share is not counted). Needs wrk, psql and a PostgreSQL whose
# administrator may create databases, e.g. the one `.ci/postgres start` runs:
#   export $(.ci/postgres start | xargs); benches/wrk/issue_postgres.sh [seconds] [connections]
# (QOLTANBA_BIN=path measures another build of qoltanba instead of this tree's.)
set -euo pipefail
seconds="${1:-8}"
connections="${2:-32}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
admin="${QOLTANBA_TEST_POSTGRES_ADMIN:?the administrator URL, as .ci/postgres start prints it}"
service="${QOLTANBA_TEST_POSTGRES:?the service role URL, as .ci/postgres start prints it}"
for tool in wrk psql; do command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }; done
# QOLTANBA_BIN measures another build (an A/B); by default this tree's, built now.
if [ -z "${QOLTANBA_BIN:-}" ]; then cargo build --release --quiet --manifest-path "$root/Cargo.toml"; fi
bin="$(realpath "${QOLTANBA_BIN:-$root/target/release/qoltanba}")"
# The service role's name and password, and a database of its own for this run.
role=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.username)' "$service")
password=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.unquote(p.password or ""))' "$service")
hostport=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.netloc.split("@")[-1])' "$service")
db="qoltanba_bench_$$"
work="$(mktemp -d)"
source "$here/lib.sh"
trap 'stop_nodes; psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db" || true' EXIT
psql -X -q "$admin" -c "CREATE DATABASE $db OWNER $role"
port=$(free_port)
start_node "$bin" "$work" QOLTANBA_REGISTRY="postgres://$role@$hostport/$db" QOLTANBA_REGISTRY_PASSWORD="$password" \
  -- --listen "127.0.0.1:$port"
server=$node
portal=$(portal_token "$work")
write_bodies "$bin"
url="http://127.0.0.1:$port/v1/documents"
postgres_ticks() { local t=0 p; for p in $(pgrep -x postgres); do t=$((t + $(cpu_ticks "$p" || echo 0))); done; echo "$t"; }
# A warm-up, then the measured run.
WRK_BODY="$work/issue.json" WRK_TOKEN="$portal" WRK_STATUS=201 wrk -t2 -c"$connections" -d3s -s "$here/post.lua" "$url" >/dev/null
s0=$(cpu_ticks "$server"); p0=$(postgres_ticks)
out=$(WRK_BODY="$work/issue.json" WRK_TOKEN="$portal" WRK_STATUS=201 \
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$here/post.lua" "$url")
s1=$(cpu_ticks "$server"); p1=$(postgres_ticks)
echo "$out"
requests=$(echo "$out" | sed -n 's/^requests answered: //p')
awk -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v hz="$hz" -v n="$requests" -v d="$seconds" 'BEGIN {
  printf "%.1f documents/s; CPU a document: service %.2f ms, PostgreSQL %.2f ms\n", n / d, s / hz * 1e3 / n, p / hz * 1e3 / n }'
