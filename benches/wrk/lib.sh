# Shared by the wrk scripts (sourced, not run): a free loopback port, a node started and waited for, the bodies
# they send, a process's CPU time from /proc, and criterion's estimate for a bench. Each script sets `root` (the
# project), `bin` (the qoltanba it serves with) and `work` (its scratch directory) before using these, and calls
# `stop_nodes` when it exits (`trap stop_nodes EXIT`).

# The nodes start_node started.
nodes=()

# Stops every node start_node started and removes $work.
stop_nodes() {
  local pid
  for pid in "${nodes[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_node BIN DIR [VAR=value ...] -- [serve arguments ...]: runs `BIN serve ARGS` in DIR (its state and its
# output there, `serve.out` and `serve.err`) with the variables given, waits until it has printed its tokens, and
# leaves its pid in `node`. The caller stops it (its trap).
start_node() {
  local bin="$1" dir="$2"
  shift 2
  local vars=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do vars+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  (cd "$dir" && exec env "${vars[@]}" "$bin" serve "$@" > serve.out 2> serve.err) &
  node=$!
  nodes+=("$node")
  for _ in $(seq 1 100); do grep -q "operator token" "$dir/serve.out" 2>/dev/null && return 0; sleep 0.1; done
  echo "the node in $dir did not start:" >&2
  cat "$dir/serve.err" >&2
  return 1
}

# start_default_node NAME: a node on the embedded default in $work/NAME, listening on a free loopback port; its pid
# in `node`, its port in `port`.
start_default_node() {
  port=$(free_port)
  mkdir -p "$work/$1"
  start_node "$bin" "$work/$1" -- --listen "127.0.0.1:$port"
}

# The portal token a node started by start_node in DIR created.
portal_token() {
  sed -n 's/^created portal token.*: //p' "$1/serve.out"
}

# Writes the bodies the scripts send into $work: app.json (an application), app.p7s (it signed by the demo
# individual with the OpenSSL CLI), verify.json (the `/v1/verify/cms` request of it) and issue.json (a birth
# reference for `/v1/documents`, the form's sample data as BIN prints it).
write_bodies() {
  local bin="$1"
  printf '{"service":"licence.private-bailiff","applicant":{"iin":"870412300129","name":"ТЕСТОВ ТЕСТ"}}' \
    > "$work/app.json"
  openssl cms -sign -nodetach -binary -outform DER -in "$work/app.json" \
    -signer "$root/certs/individual-sign.pem" -inkey "$root/certs/individual-sign.key.pem" -out "$work/app.p7s"
  printf '{"cms":"%s","iin":"870412300129"}' "$(base64 -w0 "$work/app.p7s")" > "$work/verify.json"
  printf '{"form":"reference.birth","data":%s}' "$("$bin" forms sample reference.birth)" > "$work/issue.json"
}

# A process's CPU time so far in clock ticks (user + system: fields 14 and 15 of /proc/PID/stat, counted after
# the command name, which may hold spaces).
cpu_ticks() {
  sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'
}
hz=$(getconf CLK_TCK)

# criterion's estimate (the middle of its three figures), in µs, for bench NAME in criterion's output FILE.
criterion_estimate() {
  awk -v name="$1" '
    function figure(   i, v, u) {
      for (i = 1; i <= NF; i++) if ($i == "time:") break
      v = $(i + 3); u = $(i + 4)
      if (u == "ns") v /= 1000; if (u == "ms") v *= 1000
      print v; exit
    }
    # criterion prints a short name and its figures on one line, a long name on a line of its own.
    $1 == name { if (/time:/) figure(); found = 1; next }
    found && /time:/ { figure() }' "$2"
}
