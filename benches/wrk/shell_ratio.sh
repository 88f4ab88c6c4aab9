#!/usr/bin/env bash
# The HTTP shell's cost on `POST /v1/verify/cms` (issue 21, part 2) as a ratio, measured in alternation: on a
# machine whose speed drifts by 10-20 % from one minute to the next (a shared VM), a server figure and an
# in-process figure taken minutes apart say more about the drift than about the shell. Each round runs the
# in-process benches (`cargo bench --bench shell`, short: `shell/verify_cms_request` on one core and
# `shell/verify_cms_request_every_core`, the same on every core at once) and then wrk against one running
# `qoltanba serve` for the same body, and prints the server's CPU a request (/proc/<pid>/stat, user + system, so
# wrk's share is not counted) beside both; at the end the median of each ratio.
# Needs wrk and the OpenSSL CLI. Run from the project root: benches/wrk/shell_ratio.sh [rounds] [seconds]
# (QOLTANBA_BIN=path serves with another build of qoltanba, for an A/B; the in-process side is this tree's.)
set -euo pipefail
rounds="${1:-5}"
seconds="${2:-6}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
for tool in wrk openssl; do command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }; done
if [ -z "${QOLTANBA_BIN:-}" ]; then cargo build --release --quiet --manifest-path "$root/Cargo.toml"; fi
cargo bench --quiet --manifest-path "$root/Cargo.toml" --bench shell --no-run 2>/dev/null
bin="$(realpath "${QOLTANBA_BIN:-$root/target/release/qoltanba}")"
work="$(mktemp -d)"
server=""
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$work" && exec "$bin" serve --listen "127.0.0.1:$port" > "$work/serve.out" 2> "$work/serve.err") &
server=$!
for _ in $(seq 1 100); do grep -q "operator token" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
# The body run.sh and benches/shell.rs use: the demo individual's application signed with the OpenSSL CLI.
printf '{"service":"licence.private-bailiff","applicant":{"iin":"870412300129","name":"ТЕСТОВ ТЕСТ"}}' > "$work/app.json"
openssl cms -sign -nodetach -binary -outform DER -in "$work/app.json" \
  -signer "$root/certs/individual-sign.pem" -inkey "$root/certs/individual-sign.key.pem" -out "$work/app.p7s"
printf '{"cms":"%s","iin":"870412300129"}' "$(base64 -w0 "$work/app.p7s")" > "$work/verify.json"
url="http://127.0.0.1:$port/v1/verify/cms"
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$work/verify.json" "$url" \
  | grep -q '"valid":true' || { echo "verify/cms does not say valid" >&2; exit 1; }
ticks() { sed 's/.*) //' "/proc/$server/stat" | awk '{print $12 + $13}'; }
hz=$(getconf CLK_TCK)
WRK_BODY="$work/verify.json" wrk -t2 -c32 -d2s -s "$here/post.lua" "$url" > /dev/null
# criterion's estimate (the middle of its three figures) for a bench, in µs.
estimate() {
  awk -v name="$1" '$1 == name { found = 1; next } found && /time:/ {
      v = $4; u = $5; if (u == "ns") v /= 1000; if (u == "ms") v *= 1000; print v; exit }' "$work/bench.out"
}
printf '%-6s %12s %12s %12s %8s %8s\n' round "1 core µs" "all cores µs" "server µs" ratio1 ratio2
for r in $(seq 1 "$rounds"); do
  (cd "$root" && cargo bench --quiet --bench shell -- --warm-up-time 1 --measurement-time 4 --noplot \
    'shell/verify_cms_request' > "$work/bench.out" 2>&1)
  # criterion prints a long name on a line of its own, the figures on the next.
  one=$(estimate shell/verify_cms_request)
  every=$(estimate shell/verify_cms_request_every_core)
  before=$(ticks)
  out=$(WRK_BODY="$work/verify.json" wrk -t2 -c32 -d"${seconds}s" -s "$here/post.lua" "$url")
  after=$(ticks)
  n=$(echo "$out" | sed -n 's/^requests answered: //p')
  awk -v r="$r" -v one="$one" -v every="$every" -v t=$((after - before)) -v hz="$hz" -v n="$n" 'BEGIN {
      s = t / hz * 1e6 / n; printf "%-6s %12.1f %12.1f %12.1f %8.2f %8.2f\n", r, one, every, s, s / one, s / every }'
done | tee "$work/rounds"
sort -n -k5 "$work/rounds" | awk '{ a[NR] = $5 } END { printf "median server ÷ in-process, one core:   %.2f\n", a[int((NR + 1) / 2)] }'
sort -n -k6 "$work/rounds" | awk '{ a[NR] = $6 } END { printf "median server ÷ in-process, every core: %.2f\n", a[int((NR + 1) / 2)] }'
