#!/usr/bin/env bash
# The HTTP shell's cost on `POST /v1/verify/cms` (issue 21, part 2) as a ratio, measured in alternation: on a
# machine whose speed drifts by 10-20 % from one minute to the next (a shared VM), a server figure and an
# in-process figure taken minutes apart say more about the drift than about the shell. Each round runs the
# in-process benches (`cargo bench --bench shell`, short: `shell/verify_cms_request` on one core and
# `shell/verify_cms_request_every_core`, the same on every core at once) and then wrk against one running
# `qoltanba serve` for the same body, and prints the server's CPU a request (/proc/<pid>/stat, user + system, so
# wrk's share is not counted) beside both; at the end the median of each ratio.
# The request: `demo` (the default) is the demo individual's application (ECDSA P-256) with the IIN, verified by
# the embedded default; `rsa` is the same application signed by the OpenSSL interop fixtures' RSA-2048 end entity
# (`tests/fixtures/openssl/out/leaf-sha512`), verified by a node configured to trust that root, CA and their CRLs
# (the `shell/rsa/…` benches; the node seals with that end entity's key, which no request here uses) — the request
# issue 21 names.
# Needs wrk and the OpenSSL CLI. Run from the project root: benches/wrk/shell_ratio.sh [rounds] [seconds] [demo|rsa]
# (QOLTANBA_BIN=path serves with another build of qoltanba, for an A/B; the in-process side is this tree's.)
set -euo pipefail
rounds="${1:-5}"
seconds="${2:-6}"
request="${3:-demo}"
case "$request" in
  demo) bench=shell/ ;;
  rsa) bench=shell/rsa/ ;;
  *) echo "the request is demo or rsa, not $request" >&2; exit 2 ;;
esac
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
for tool in wrk openssl; do command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }; done
if [ -z "${QOLTANBA_BIN:-}" ]; then cargo build --release --quiet --manifest-path "$root/Cargo.toml"; fi
cargo bench --quiet --manifest-path "$root/Cargo.toml" --bench shell --no-run 2>/dev/null
bin="$(realpath "${QOLTANBA_BIN:-$root/target/release/qoltanba}")"
work="$(mktemp -d)"
source "$here/lib.sh"
trap stop_nodes EXIT
# The bodies run.sh and benches/shell.rs use: the application signed with the OpenSSL CLI.
write_bodies "$bin"
if [ "$request" = rsa ]; then
  port=$(free_port)
  mkdir "$work/node"
  fixtures="$root/tests/fixtures/openssl/out"
  printf '%s\n' "listen = \"127.0.0.1:$port\"" 'data = "state"' '' '[trust]' \
    "anchors = [\"$fixtures/root.pem\"]" "intermediates = [\"$fixtures/inter.pem\"]" \
    "crls = [\"$fixtures/inter.crl\", \"$fixtures/root.crl\"]" '' '[signer]' \
    "key = \"$fixtures/leaf-sha512.key\"" "cert = \"$fixtures/leaf-sha512.pem\"" \
    "chain = [\"$fixtures/inter.pem\"]" > "$work/node/qoltanba.toml"
  start_node "$bin" "$work/node" -- --config qoltanba.toml
  openssl cms -sign -nodetach -binary -outform DER -in "$work/app.json" \
    -signer "$fixtures/leaf-sha512.pem" -inkey "$fixtures/leaf-sha512.key" -out "$work/rsa.p7s"
  printf '{"cms":"%s"}' "$(base64 -w0 "$work/rsa.p7s")" > "$work/verify.json"
else
  start_default_node node
fi
server=$node
url="http://127.0.0.1:$port/v1/verify/cms"
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$work/verify.json" "$url" \
  | grep -q '"valid":true' || { echo "verify/cms does not say valid" >&2; exit 1; }
WRK_BODY="$work/verify.json" wrk -t2 -c32 -d2s -s "$here/post.lua" "$url" > /dev/null
printf '%-6s %12s %12s %12s %8s %8s\n' round "1 core µs" "all cores µs" "server µs" ratio1 ratio2
for r in $(seq 1 "$rounds"); do
  (cd "$root" && cargo bench --quiet --bench shell -- --warm-up-time 1 --measurement-time 4 --noplot \
    "${bench}verify_cms_request" > "$work/bench.out" 2>&1)
  one=$(criterion_estimate "${bench}verify_cms_request" "$work/bench.out")
  every=$(criterion_estimate "${bench}verify_cms_request_every_core" "$work/bench.out")
  if [ -z "$one" ] || [ -z "$every" ]; then echo "the in-process benches gave no figure:" >&2; cat "$work/bench.out" >&2; exit 1; fi
  before=$(cpu_ticks "$server")
  out=$(WRK_BODY="$work/verify.json" wrk -t2 -c32 -d"${seconds}s" -s "$here/post.lua" "$url")
  after=$(cpu_ticks "$server")
  n=$(echo "$out" | sed -n 's/^requests answered: //p')
  awk -v r="$r" -v one="$one" -v every="$every" -v t=$((after - before)) -v hz="$hz" -v n="$n" 'BEGIN {
      s = t / hz * 1e6 / n; printf "%-6s %12.1f %12.1f %12.1f %8.2f %8.2f\n", r, one, every, s, s / one, s / every }'
done | tee "$work/rounds"
sort -n -k5 "$work/rounds" | awk '{ a[NR] = $5 } END { printf "median server ÷ in-process, one core:   %.2f\n", a[int((NR + 1) / 2)] }'
sort -n -k6 "$work/rounds" | awk '{ a[NR] = $6 } END { printf "median server ÷ in-process, every core: %.2f\n", a[int((NR + 1) / 2)] }'
