# Shared by the bench scripts (sourced): how busy the machine is, and
# waiting for it to be idle before a timed run.

cpu_busy() {  # percent of all CPUs busy over one second
  local a b
  a=$(head -n 1 /proc/stat); sleep 1; b=$(head -n 1 /proc/stat)
  printf '%s\n%s\n' "$a" "$b" | awk '{ idle = $5 + $6; tot = 0; for (i = 2; i <= NF; i++) tot += $i
    if (NR == 1) { i0 = idle; t0 = tot } else printf "%.0f", (tot - t0 > 0) ? 100 * (1 - (idle - i0) / (tot - t0)) : 0 }'
}

# wait_for_idle SECONDS: waits, at most SECONDS, until the CPUs have been at
# most 10% busy for 5 seconds in a row. Sets idle_busy to the last second's
# reading and idle_reached to 1 or 0; always returns 0.
wait_for_idle() {
  local limit=$1 waited=0 calm=0
  idle_busy="" idle_reached=0
  while [ "$waited" -lt "$limit" ]; do
    idle_busy=$(cpu_busy); waited=$((waited + 1))
    if [ "$idle_busy" -le 10 ]; then calm=$((calm + 1)); [ "$calm" -ge 5 ] && { idle_reached=1; return 0; }; else calm=0; fi
  done
  return 0
}
