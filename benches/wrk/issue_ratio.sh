#!/usr/bin/env bash
# Issuance over HTTP against its CPU bound (issue 21, part 3), measured in alternation: on a machine whose speed
# drifts by 10-20 % from one minute to the next (a shared VM), a throughput and an in-process figure taken minutes
# apart say more about the drift than about the service. Each round runs two in-process benches of
# `cargo bench --bench issue`, short, each in a process of its own — `issue/reference_in_memory` (one reference
# numbered, rendered, sealed and stored with its audit entry into an in-memory registry: wall time) and
# `issue/reference_on_disk_cpu` (the same into a registry file with fsync on: the CPU time of the issuing thread,
# the storing included, the waiting for the disk not) — and then wrk against one running `qoltanba serve` (the
# embedded SQLite registry file: WAL, synchronous=FULL, so fsync on) issuing the same reference. It prints the
# documents a second beside each bound (cores ÷ the in-process time) and their ratios, and the server's CPU a
# document (/proc/<pid>/stat, user + system, so wrk's share is not counted); at the end the median ratios, and a
# check that the numbers the server gave are gapless.
# Needs wrk, curl and python3. Run from the project root: benches/wrk/issue_ratio.sh [rounds] [seconds] [connections]
# (QOLTANBA_BIN=path serves with another build of qoltanba, for an A/B; the in-process side is this tree's.)
set -euo pipefail
rounds="${1:-5}"
seconds="${2:-6}"
connections="${3:-32}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
for tool in wrk curl python3; do command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }; done
if [ -z "${QOLTANBA_BIN:-}" ]; then cargo build --release --quiet --manifest-path "$root/Cargo.toml"; fi
cargo bench --quiet --manifest-path "$root/Cargo.toml" --bench issue --no-run 2>/dev/null
bin="$(realpath "${QOLTANBA_BIN:-$root/target/release/qoltanba}")"
cores=$(nproc)
work="$(mktemp -d)"
source "$here/lib.sh"
trap stop_nodes EXIT
start_default_node node
server=$node
portal=$(portal_token "$work/node")
write_bodies "$bin"
url="http://127.0.0.1:$port/v1/documents"
issue() { WRK_BODY="$work/issue.json" WRK_TOKEN="$portal" WRK_STATUS=201 wrk -t2 -c"$connections" "$@" \
  -s "$here/post.lua" "$url"; }
issue -d2s > /dev/null
printf '%-6s %10s %10s %10s %10s %10s %14s\n' round "memory ms" "disk cpu" "HTTP doc/s" "ratio mem" "ratio disk" "server ms/doc"
for r in $(seq 1 "$rounds"); do
  for bench in 'issue/reference_in_memory$' 'issue/reference_on_disk_cpu'; do
    (cd "$root" && cargo bench --quiet --bench issue -- --warm-up-time 1 --measurement-time 4 --noplot "$bench" \
      >> "$work/bench.$r" 2>&1)
  done
  memory=$(criterion_estimate issue/reference_in_memory "$work/bench.$r")
  disk=$(criterion_estimate issue/reference_on_disk_cpu "$work/bench.$r")
  if [ -z "$memory" ] || [ -z "$disk" ]; then echo "the in-process benches gave no figure:" >&2; cat "$work/bench.$r" >&2; exit 1; fi
  before=$(cpu_ticks "$server")
  out=$(issue -d"${seconds}s")
  after=$(cpu_ticks "$server")
  if ! echo "$out" | grep -q '^unexpected statuses: 0$'; then echo "$out" >&2; exit 1; fi
  n=$(echo "$out" | sed -n 's/^requests answered: //p')
  awk -v r="$r" -v memory="$memory" -v disk="$disk" -v cores="$cores" -v n="$n" -v d="$seconds" \
    -v t=$((after - before)) -v hz="$hz" 'BEGIN {
      rate = n / d
      printf "%-6s %10.2f %10.2f %10.0f %10.2f %10.2f %14.2f\n", r, memory / 1000, disk / 1000, rate,
        rate * memory / 1e6 / cores, rate * disk / 1e6 / cores, t / hz * 1e3 / n }'
done | tee "$work/rounds"
for k in 5 6; do
  sort -n -k$k "$work/rounds" | awk -v k=$k '{ a[NR] = $k } END {
    printf "median documents a second ÷ (%d cores ÷ %s): %.2f\n", '"$cores"', k == 5 ? "in-memory time" : "on-disk CPU time", a[int((NR + 1) / 2)] }'
done
# The numbers the series took: 1 to the last, none twice, no gap, the counter at the last (read from the
# registry file with Python's sqlite3, after the server stopped).
kill "$server"; wait "$server" 2>/dev/null || true
python3 - "$work/node" <<'PY'
import glob, sqlite3, sys
[path] = glob.glob(sys.argv[1] + "/**/registry.db", recursive=True)
db = sqlite3.connect(path)
rows = db.execute("SELECT form, year, count(*), count(DISTINCT sequence), min(sequence), max(sequence) "
                  "FROM document WHERE copy = 0 GROUP BY form, year").fetchall()
for form, year, n, distinct, first, last in rows:
    (counter,) = db.execute("SELECT last FROM number_counter WHERE form = ? AND year = ?", (form, year)).fetchone()
    gapless = n == distinct == last and first == 1 and counter == last
    print(f"{form} {year}: {n} documents numbered {first}..{last}, counter {counter}: "
          + ("gapless" if gapless else "A GAP OR A REPEAT"))
    if not gapless:
        sys.exit(1)
PY
