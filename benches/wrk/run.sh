#!/usr/bin/env bash
# HTTP throughput of `qoltanba serve` on loopback with wrk (Debian package `wrk`): verification of a CMS
# (RSA signer, chain of two CAs, CRLs checked) and issuance of references (render + seal + store, fsync per
# document). Run from the project root: benches/wrk/run.sh [seconds] [connections]
# After each run it prints the server's CPU time per request (user + system, from /proc/<pid>/stat, so the CPU wrk
# takes on the same cores is not counted), to set beside the in-process figure of `cargo bench --bench shell`.
set -euo pipefail
seconds="${1:-20}"
connections="${2:-32}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/qoltanba"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$work" && exec "$bin" serve --listen "127.0.0.1:$port" > "$work/serve.out" 2> "$work/serve.err") &
server=$!
for _ in $(seq 1 100); do grep -q "operator token" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
portal=$(sed -n 's/^created portal token.*: //p' "$work/serve.out")

# The request a portal verifies: an application signed by the demo citizen with the OpenSSL CLI.
printf '{"service":"licence.private-bailiff","applicant":{"iin":"870412300129","name":"ТЕСТОВ ТЕСТ"}}' > "$work/app.json"
openssl cms -sign -nodetach -binary -outform DER -in "$work/app.json" \
  -signer "$root/certs/individual-sign.pem" -inkey "$root/certs/individual-sign.key.pem" -out "$work/app.p7s"
printf '{"cms":"%s","iin":"870412300129"}' "$(base64 -w0 "$work/app.p7s")" > "$work/verify.json"
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$work/verify.json" \
  "http://127.0.0.1:$port/v1/verify/cms" | grep -q '"valid":true' || { echo "verify/cms does not say valid" >&2; exit 1; }

printf '{"form":"reference.birth","data":%s}' "$("$bin" forms sample reference.birth)" > "$work/issue.json"

# The server's CPU time so far, in clock ticks (utime + stime: fields 14 and 15 after the command name).
ticks() { sed 's/.*) //' "/proc/$server/stat" | awk '{print $12 + $13}'; }
hz=$(getconf CLK_TCK)
# Runs wrk with the given environment and URL, then prints the server's CPU per answered request.
measure() {
  local before after out requests
  before=$(ticks)
  out=$(env "$@" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$here/post.lua" "$url")
  after=$(ticks)
  echo "$out"
  requests=$(echo "$out" | sed -n 's/^requests answered: //p')
  awk -v t=$((after - before)) -v hz="$hz" -v n="$requests" \
    'BEGIN { printf "server CPU: %.2f s for %d requests = %.1f µs a request\n", t / hz, n, t / hz * 1e6 / n }'
}

echo "== POST /v1/verify/cms, $connections connections, ${seconds}s"
url="http://127.0.0.1:$port/v1/verify/cms"
measure WRK_BODY="$work/verify.json"
echo "== POST /v1/documents (reference.birth), $connections connections, ${seconds}s"
url="http://127.0.0.1:$port/v1/documents"
measure WRK_BODY="$work/issue.json" WRK_TOKEN="$portal" WRK_STATUS=201
