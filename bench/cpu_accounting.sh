# Sourced by the bench scripts: CPU accounting, to tell how much *other* processes (e.g.
# someone's compile) competed with the measurement for the cores. bench/cpumark.py sums the CPU
# time of every process outside the calling script's process tree (reaped children included, via
# their parents' cutime/cstime) and inside it.
# Needs: REPO, RUN_DIR, WAIT_QUIET and a log() function. Sets QUIET_NOTE in wait_quiet.
NPROC=$(nproc)
# cpu_mark VAR: VAR="wall_us others_ms ours_ms steal_ms" for this instant.
cpu_mark() {
  local -n _mark=$1
  _mark=$(python3 "$REPO/bench/cpumark.py" $$)
}
# cpu_phase NAME START_MARK END_MARK: append the phase's accounting to cpu.tsv.
cpu_phase() {
  local a b
  read -r -a a <<<"$2"; read -r -a b <<<"$3"
  local wall_ms=$(( (b[0] - a[0]) / 1000 )) others_ms=$(( b[1] - a[1] )) ours_ms=$(( b[2] - a[2] ))
  local steal_ms=$(( b[3] - a[3] ))
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$wall_ms" "$NPROC" "$others_ms" "$ours_ms" "$steal_ms" >>"$RUN_DIR/cpu.tsv"
  log "  cpu[$1]: ${wall_ms} ms wall x $NPROC CPUs; ours ${ours_ms} ms, others ${others_ms} ms, steal ${steal_ms} ms"
}
# wait_quiet: wait (up to WAIT_QUIET s) until other processes use < 15% of the machine over 2 s.
wait_quiet() {
  local m0 m1 a b deadline=$(( ${EPOCHREALTIME%[.,]*} + WAIT_QUIET )) others cap
  while :; do
    cpu_mark m0; sleep 2; cpu_mark m1
    read -r -a a <<<"$m0"; read -r -a b <<<"$m1"
    others=$(( b[1] - a[1] )); cap=$(( (b[0] - a[0]) / 1000 * NPROC ))
    if (( others * 100 < cap * 15 )); then
      log "machine quiet: other processes used ${others} ms of ${cap} ms CPU in the last 2 s"
      QUIET_NOTE="quiet: other processes used ${others} ms of ${cap} ms CPU in the 2 s before the start"
      return 0
    fi
    if (( ${EPOCHREALTIME%[.,]*} >= deadline )); then
      log "WARNING: machine still busy (others used ${others} ms of ${cap} ms CPU over 2 s); measuring anyway"
      QUIET_NOTE="NOT quiet: after waiting ${WAIT_QUIET} s, other processes still used ${others} ms of ${cap} ms CPU over 2 s; measured anyway"
      return 0
    fi
    log "machine busy (others used ${others} ms of ${cap} ms CPU over 2 s); waiting"
    sleep 3
  done
}
