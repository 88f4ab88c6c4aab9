#!/usr/bin/env bash
# HTTP throughput of `qoltanba serve` on loopback with wrk (Debian package `wrk`): verification of a CMS
# (RSA signer, chain of two CAs, CRLs checked), issuance of references (render + seal + store, one fsync per group
# commit), and — when ../shared/conformance is beside the project — verification of a GOST CMS made with the NCA
# test PKI's individual key by a second node trusting that PKI (`[revocation] scope = "leaf"`: the data has no
# root CRL). Run from the project root: benches/wrk/run.sh [seconds] [connections]
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
source "$here/lib.sh"
trap stop_nodes EXIT
# `server` is the process measured.
start_default_node main
server=$node
portal=$(portal_token "$work/main")

# The request a portal verifies: an application signed by the demo citizen with the OpenSSL CLI; the reference
# a portal issues.
write_bodies "$bin"
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$work/verify.json" \
  "http://127.0.0.1:$port/v1/verify/cms" | grep -q '"valid":true' || { echo "verify/cms does not say valid" >&2; exit 1; }

# Runs wrk with the given environment and URL, then prints the server's CPU per answered request.
measure() {
  local before after out requests
  before=$(cpu_ticks "$server")
  out=$(env "$@" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$here/post.lua" "$url")
  after=$(cpu_ticks "$server")
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

nca="$root/../shared/conformance/nca-test-pki/gost2015"
if [ -d "$nca" ]; then
  mkdir -p "$work/nca"
  gost_port=$(free_port)
  printf '%s\n' "listen = \"127.0.0.1:$gost_port\"" 'data = "state"' '' '[trust]' \
    "anchors = [\"$nca/root_test_gost_2022.cer\"]" "intermediates = [\"$nca/nca_gost2022_test.cer\"]" \
    "crls = [\"$nca/nca_gost2022_test.crl\"]" '' '[signer]' "key = \"$nca/legal/valid/head.p12\"" \
    'password_env = "NCA_TEST_PASSWORD"' '' '[revocation]' 'scope = "leaf"' > "$work/nca/qoltanba.toml"
  start_node "$bin" "$work/nca" NCA_TEST_PASSWORD=Qwerty12 -- --config qoltanba.toml
  "$bin" sign-cms --key "$nca/individual/valid/individual_valid.p12" --password Qwerty12 \
    --in "$work/app.json" --out "$work/gost.p7s"
  printf '{"cms":"%s","at":"2026-12-01T00:00:00Z"}' "$(base64 -w0 "$work/gost.p7s")" > "$work/gost.json"
  curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$work/gost.json" \
    "http://127.0.0.1:$gost_port/v1/verify/cms" | grep -q '"valid":true' \
    || { echo "the GOST CMS does not verify" >&2; cat "$work/nca/serve.err" >&2; exit 1; }
  echo "== POST /v1/verify/cms, GOST CMS (NCA test key), $connections connections, ${seconds}s"
  server=$node
  url="http://127.0.0.1:$gost_port/v1/verify/cms"
  measure WRK_BODY="$work/gost.json"
fi
