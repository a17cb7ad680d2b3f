# Sourced by the deploy tests (package_test.sh, install_test.sh), which define fail().
# start_from_config BIN CONF DATA_DIR OUT_DIR: starts BIN --config CONF in the background (stdout
# and stderr in OUT_DIR/out.txt and err.txt), waits for its startup line, checks that it names
# DATA_DIR on loopback, and sets `pid` and `url` (http://127.0.0.1:PORT).
start_from_config() {
  local bin=$1 conf=$2 data=$3 out=$4 line
  "$bin" --config "$conf" >"$out/out.txt" 2>"$out/err.txt" &
  pid=$!
  for _ in $(seq 100); do
    grep -q '^dbgcoord listening on' "$out/out.txt" && break
    sleep 0.1
  done
  line=$(head -n1 "$out/out.txt")
  [[ $line == "dbgcoord listening on http://127.0.0.1:"*" (data: $data)" ]] ||
    fail "startup line: '$line' $(cat "$out/err.txt")"
  url=${line#dbgcoord listening on }
  url=${url%% *}
}
