#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each with the limits of the hardening issue: no input may
# take more than 1 s or allocate more than 512 MB. New inputs go to fuzz/new/<target>/ (not the kept corpus);
# crashers to fuzz/artifacts/<target>/. Needs cargo-fuzz; libFuzzer's flags need nightly features, which the
# stable toolchain allows with RUSTC_BOOTSTRAP=1.
#   bash fuzz/run.sh 600                 # ten minutes each
#   bash fuzz/run.sh 20 pdf seal          # a short run of two targets
#   FUZZ_SANITIZER=none FUZZ_BUILD=--dev FUZZ_TIMEOUT=10 FUZZ_SEED=1 bash fuzz/run.sh 15
#                                         # CI: unoptimised (so 10 s an input), with debug assertions, no sanitizer
#                                         # (a build of 5 minutes instead of 20), the same random sequence each run
#                                         # (FUZZ_SEED; unset, libFuzzer picks one)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(certificate crl cms keyfile seal pdf form_data config xml xml_differential)
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  mkdir -p "fuzz/new/$t" "fuzz/artifacts/$t"
  echo "== $t: $seconds s"
  log="fuzz/artifacts/$t.log"
  status=0
  # The XML targets share a dictionary of markup tokens.
  dict=()
  case "$t" in xml*) dict=(-dict=fuzz/xml.dict) ;; esac
  # The differential reads the XML corpus: both targets take any XML.
  corpus=$t
  [ "$t" = xml_differential ] && corpus=xml
  cargo fuzz run "${FUZZ_BUILD:--O}" -s "${FUZZ_SANITIZER:-address}" "$t" "fuzz/new/$t" "fuzz/corpus/$corpus" -- \
    -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-1}" -rss_limit_mb=512 -malloc_limit_mb=512 \
    -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 -seed="${FUZZ_SEED:-0}" "${dict[@]}" >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE|SUMMARY)|(crash|timeout|oom|leak)-' "$log" || true
  if [ "$status" -ne 0 ] || compgen -G "fuzz/artifacts/$t/*-*" >/dev/null; then
    tail -40 "$log" >&2
    echo "FAILED: $t (exit $status; crashers, if any, in fuzz/artifacts/$t)" >&2
    exit 1
  fi
done
