#!/usr/bin/env bash
# pointsim benchmark: generates balanced random circuits (pointsim generate),
# runs each with one process (and with mpirun -np 2 for the MPI sizes),
# measures wall time and max RSS with /usr/bin/time, parses the Summary block
# of output/log.txt, writes bench/results.json and prints a markdown table.
# Needs only bash, coreutils, grep, sed, awk (mawk is fine) and GNU time;
# mpirun for the MPI runs. See bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

sizes="2000 20000 100000"
indegrees="1000"
mpi_sizes="20000"
mpi_ranks=2
seed=1
tstop=1000
dt=0.1
repeat=1
work=/tmp/pointsim-bench
out="$here/results.json"
pointsim="$repo/build/apps/pointsim/pointsim"
keep=0
reuse=0
wait_idle=0
append=0
use_git=1

usage() {
  cat <<EOF
usage: bench/run_benchmarks.sh [options]
  --sizes "N1 N2 ..."     neuron counts (default "$sizes")
  --indegrees "K1 ..."    recurrent in-degrees, each run for every size (default "$indegrees")
  --mpi-sizes "N ..."     sizes also run under mpirun (default "$mpi_sizes"; "" for none)
  --mpi-ranks R           ranks for the MPI runs (default $mpi_ranks)
  --repeat R              run every case R times (default $repeat)
  --seed S --tstop T --dt DT   generator settings (default $seed, $tstop ms, $dt ms)
  --work DIR              folder for circuits and outputs (default $work)
  --out FILE              results file (default bench/results.json; the table goes to FILE with .md)
  --append                add to the runs already in --out instead of replacing them
  --pointsim PATH         binary to use (default build/apps/pointsim/pointsim)
  --keep                  keep the generated circuits (default: delete each after its runs)
  --reuse                 reuse a circuit already in the work folder instead of generating it
  --wait-idle SECONDS     before each run, wait up to SECONDS for the CPUs to be idle (default 0: don't)
  --no-git                do not run git (records the commit read from .git/HEAD instead)
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --indegrees) indegrees=$2; shift 2 ;;
    --mpi-sizes) mpi_sizes=$2; shift 2 ;;
    --mpi-ranks) mpi_ranks=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --tstop) tstop=$2; shift 2 ;;
    --dt) dt=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --append) append=1; shift ;;
    --pointsim) pointsim=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --reuse) reuse=1; shift ;;
    --wait-idle) wait_idle=$2; shift 2 ;;
    --no-git) use_git=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run_benchmarks.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

die() { echo "run_benchmarks.sh: ERROR: $*" >&2; exit 1; }

[ -x "$pointsim" ] || die "no pointsim binary at $pointsim (build first: cmake --build build -j2)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
if [ -n "${mpi_sizes// /}" ]; then
  command -v mpirun >/dev/null || die "mpirun is missing (needed for --mpi-sizes \"$mpi_sizes\"; pass --mpi-sizes \"\" to skip)"
fi
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
mkdir -p "$work" "$(dirname "$out")"
work=$(cd "$work" && pwd)

# Run a private copy of the binary, so that a rebuild during the benchmark
# cannot mix two versions in one results file.
bin="$work/pointsim"
cp "$pointsim" "$bin"

json_str() {  # JSON string literal of $1
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n\r\t')"
}
json_num() {  # the number, or null when empty
  if [ -n "$1" ]; then printf '%s' "$1"; else printf 'null'; fi
}

# --- machine and version --------------------------------------------------
n_proc=$(nproc)
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_model=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
[ -n "$cpu_model" ] || cpu_model=unknown
mem_gb=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
version=$("$bin" --version 2>&1 | head -1)
git_describe=""
if [ "$use_git" = 1 ] && command -v git >/dev/null; then
  git_describe=$(git -C "$repo" describe --always --dirty 2>/dev/null || true)
fi
if [ -z "$git_describe" ] && [ -f "$repo/.git/HEAD" ]; then
  # No git command: the commit HEAD points at, read from the files.
  head_ref=$(cat "$repo/.git/HEAD")
  case "$head_ref" in
    ref:*)
      ref=${head_ref#ref: }
      if [ -f "$repo/.git/$ref" ]; then
        git_describe=$(cut -c1-12 "$repo/.git/$ref")
      elif [ -f "$repo/.git/packed-refs" ]; then
        git_describe=$(awk -v r="$ref" '$2 == r { print substr($1, 1, 12) }' "$repo/.git/packed-refs")
      fi ;;
    *) git_describe=$(printf '%s' "$head_ref" | cut -c1-12) ;;
  esac
  [ -z "$git_describe" ] || git_describe="$git_describe (from .git/HEAD, working tree not checked)"
fi
run_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)

echo "pointsim benchmark: $version, $n_proc CPUs ($cpu_model), $mem_gb GiB RAM, work folder $work" >&2

results=()   # one JSON object (one line) per run
if [ "$append" = 1 ] && [ -f "$out" ]; then
  while IFS= read -r line; do
    line=${line#  }; line=${line%,}
    results+=("$line")
  done < <(grep '^  {' "$out")
fi

write_results() {
  {
    echo "["
    local i n=${#results[@]}
    for ((i = 0; i < n; i++)); do
      if [ $((i + 1)) -lt $n ]; then echo "  ${results[$i]},"; else echo "  ${results[$i]}"; fi
    done
    echo "]"
  } > "$out.tmp"
  mv "$out.tmp" "$out"
}

# Value of "key": in a one-line JSON object (numbers and simple strings).
jget() {
  printf '%s\n' "$1" | sed -n "s/.*\"$2\": *\"\\{0,1\\}\\([^,\"}]*\\).*/\\1/p"
}

print_table() {
  local md="${out%.json}.md"
  {
    echo "| N | K | synapses | ranks | config s | read nodes s | partition s | read edges s | neurons/inputs s | load s | simulate s | write s | wall s | synaptic events/s | neuron updates/s | peak RSS MB | bytes/synapse | spikes | rate Hz | other CPU % |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    local r
    for r in "${results[@]}"; do
      if [ "$(jget "$r" status)" = failed ]; then
        echo "| $(jget "$r" n_neurons) | $(jget "$r" indegree) | | $(jget "$r" ranks) | FAILED: $(jget "$r" error) | | | | | | | | | | | | | | | |"
        continue
      fi
      local part; part=$(jget "$r" partition_seconds); [ "$part" = null ] && part="–"
      echo "| $(jget "$r" n_neurons) | $(jget "$r" indegree) | $(jget "$r" n_synapses) | $(jget "$r" ranks) | $(jget "$r" config_seconds) | $(jget "$r" read_nodes_seconds) | $part | $(jget "$r" read_edges_seconds) | $(jget "$r" neurons_inputs_reports_seconds) | $(jget "$r" load_seconds) | $(jget "$r" simulate_seconds) | $(jget "$r" write_seconds) | $(jget "$r" wall_seconds) | $(jget "$r" synaptic_events_per_s) | $(jget "$r" neuron_updates_per_s) | $(jget "$r" peak_rss_mb) | $(jget "$r" bytes_per_synapse) | $(jget "$r" spikes) | $(jget "$r" mean_rate_hz) | $(jget "$r" cpu_others_percent_during) |"
    done
  } > "$md"
  cat "$md"
}

fail_run() {  # N K RANKS MESSAGE: record the failure, write what we have, stop
  results+=("{\"status\": \"failed\", \"n_neurons\": $1, \"indegree\": $2, \"ranks\": $3, \"error\": $(json_str "$4"), \"date\": $(json_str "$run_date"), \"pointsim_version\": $(json_str "$version")}")
  write_results
  print_table
  echo >&2
  echo "run_benchmarks.sh: ERROR: N=$1 K=$2 ranks=$3 FAILED: $4" >&2
  echo "run_benchmarks.sh: results so far written to $out" >&2
  if [ "$keep" = 0 ] && [ -n "${current_circuit:-}" ]; then rm -rf "$current_circuit"; fi
  exit 1
}

# Parses log.txt's Summary block into shell variables s_<name> (bench/summary.awk).
parse_log() {
  eval "$(awk -f "$here/summary.awk" "$1")"
}


# --- one run ----------------------------------------------------------------
run_case() {  # N K RANKS CIRCUIT REP GEN_SECONDS GEN_RSS_MB CIRCUIT_BYTES
  local n=$1 k=$2 np=$3 circuit=$4 rep=$5 gen_s=$6 gen_mb=$7 circ_bytes=$8
  local tag="n${n}_k${k}_np${np}_r${rep}"
  local od="$work/out_$tag"
  rm -rf "$od"
  local cmd=("$bin" run "$circuit/config.json" --output-dir "$od" -q)
  if [ "$np" -gt 1 ]; then
    cmd=(mpirun --oversubscribe --allow-run-as-root -np "$np" "${cmd[@]}")
  fi
  # Other work on the machine skews the timings: record how busy the CPUs
  # were (percent of all CPUs, from /proc/stat) in the second before the run
  # (after waiting for them to be idle, with --wait-idle), and how much CPU
  # other processes used during the run.
  local busy; busy=$(cpu_busy)
  if [ "$wait_idle" -gt 0 ] && awk -v b="$busy" 'BEGIN { exit !(b > 10) }'; then
    echo "   CPUs ${busy}% busy: waiting up to $wait_idle s for them to be idle" >&2
    wait_for_idle "$wait_idle"
    busy=$idle_busy
  fi
  echo "== N=$n K=$k ranks=$np run $rep (CPUs ${busy}% busy before): ${cmd[*]}" >&2
  if awk -v b="$busy" 'BEGIN { exit !(b > 10) }'; then
    echo "   warning: other processes use ${busy}% of the CPUs: timings may be skewed" >&2
  fi
  local rc=0
  local stat0 stat1; stat0=$(head -n 1 /proc/stat)
  /usr/bin/time -f '%e %M %U %S' -o "$work/time_$tag" "${cmd[@]}" > "$work/stdout_$tag" 2> "$work/stderr_$tag" || rc=$?
  stat1=$(head -n 1 /proc/stat)
  if [ "$rc" -ne 0 ]; then
    echo "---- stderr of the failed run (last 20 lines) ----" >&2
    tail -n 20 "$work/stderr_$tag" >&2 || true
    local msg; msg=$(grep -v -e '^Command exited' -e '^Command terminated' "$work/stderr_$tag" | grep -v '^ *$' | tail -n 1 || true)
    if grep -q 'Command terminated by signal 9' "$work/stderr_$tag" "$work/time_$tag" 2>/dev/null; then msg="killed by signal 9 (out of memory?) $msg"; fi
    fail_run "$n" "$k" "$np" "exit code $rc: ${msg:-no message}"
  fi
  local log="$od/log.txt"
  [ -f "$log" ] && grep -q '\[info\] Summary (' "$log" || fail_run "$n" "$k" "$np" "no Summary block in $log"

  local s_synapses="" s_config="" s_nodes="" s_partition="" s_edges="" s_inputs="" s_simulate="" s_events="" s_updates=""
  local s_write="" s_peak_mb="" s_spikes=""
  parse_log "$log"
  [ -n "$s_simulate" ] && [ -n "$s_peak_mb" ] && [ -n "$s_synapses" ] || fail_run "$n" "$k" "$np" "could not parse the Summary block of $log"

  local wall rss_kb cpu_user cpu_sys others
  read -r wall rss_kb cpu_user cpu_sys < <(tail -n 1 "$work/time_$tag")
  # CPU time of other processes during the run, in % of all CPUs:
  # (all busy time from /proc/stat - this run's user + sys) / (wall x nproc).
  others=$(printf '%s\n%s\n' "$stat0" "$stat1" | awk -v hz="$clk_tck" -v u="$cpu_user" -v s="$cpu_sys" -v w="$wall" -v np="$n_proc" '
    { busy = 0; for (i = 2; i <= NF; i++) if (i != 5 && i != 6) busy += $i
      if (NR == 1) b0 = busy; else { o = 100 * ((busy - b0) / hz - u - s) / (w * np); if (o < 0) o = 0; printf "%.0f", o } }')
  local derived
  derived=$(awk -v c="$s_config" -v nd="$s_nodes" -v p="${s_partition:-0}" -v e="$s_edges" -v i="$s_inputs" \
    -v mb="$s_peak_mb" -v syn="$s_synapses" -v spk="$s_spikes" -v n="$n" -v t="$tstop" -v kb="$rss_kb" 'BEGIN {
      printf "%.3f %.2f %.2f %.1f", c + nd + p + e + i, mb * 1e6 / syn, spk / n / (t / 1000), kb * 1024 / 1e6 }')
  local load bps rate time_mb
  read -r load bps rate time_mb <<< "$derived"
  local ranks_info
  ranks_info=$( { grep -o 'Rank [0-9]*: [0-9]* neurons, [0-9]* synapses ([0-9]* edge rows read)' "$log" || true; } | \
    awk 'BEGIN { ORS = "" } { gsub(/[(:,)]/, ""); if (NR > 1) print ", "; printf "{\"rank\": %s, \"neurons\": %s, \"synapses\": %s, \"edge_rows_read\": %s}", $2, $3, $5, $7 }')

  results+=("{\"n_neurons\": $n, \"indegree\": $k, \"n_synapses\": $s_synapses, \"n_recurrent_synapses\": $((n * k)), \"ranks\": $np, \"repeat\": $rep, \"seed\": $seed, \"tstop_ms\": $tstop, \"dt_ms\": $dt, \"config_seconds\": $s_config, \"read_nodes_seconds\": $s_nodes, \"partition_seconds\": $(json_num "$s_partition"), \"read_edges_seconds\": $s_edges, \"neurons_inputs_reports_seconds\": $s_inputs, \"load_seconds\": $load, \"simulate_seconds\": $s_simulate, \"write_seconds\": $s_write, \"wall_seconds\": $wall, \"synaptic_events_per_s\": $s_events, \"neuron_updates_per_s\": $s_updates, \"peak_rss_mb\": $s_peak_mb, \"time_max_rss_mb\": $time_mb, \"bytes_per_synapse\": $bps, \"spikes\": $s_spikes, \"mean_rate_hz\": $rate, \"generate_seconds\": $(json_num "$gen_s"), \"generate_max_rss_mb\": $(json_num "$gen_mb"), \"circuit_bytes\": $(json_num "$circ_bytes"), \"per_rank\": [$ranks_info], \"cpu_busy_percent_before\": $busy, \"cpu_others_percent_during\": $others, \"cpu_user_seconds\": $cpu_user, \"cpu_sys_seconds\": $cpu_sys, \"machine\": {\"nproc\": $n_proc, \"cpu_model\": $(json_str "$cpu_model"), \"mem_total_gib\": $mem_gb}, \"date\": $(json_str "$run_date"), \"pointsim_version\": $(json_str "$version"), \"git_describe\": $(if [ -n "$git_describe" ]; then json_str "$git_describe"; else echo null; fi)}")
  echo "   load $load s, simulate $s_simulate s, wall $wall s, $s_events events/s, peak $s_peak_mb MB ($bps B/synapse), $s_spikes spikes ($rate Hz); other processes used ${others}% of the CPUs" >&2
  if [ "$others" -gt 10 ]; then echo "   warning: other processes used ${others}% of the CPUs during the run: timings may be skewed" >&2; fi
  write_results
  rm -rf "$od" "$work/stdout_$tag"
}

# --- all cases ----------------------------------------------------------------
for n in $sizes; do
  for k in $indegrees; do
    circuit="$work/n${n}_k${k}"
    current_circuit=$circuit
    gen_s="" gen_mb="" circ_bytes=""
    if [ "$reuse" = 1 ] && [ -f "$circuit/config.json" ]; then
      echo "== reusing $circuit" >&2
    else
      rm -rf "$circuit"
      echo "== generating N=$n K=$k into $circuit" >&2
      rc=0
      /usr/bin/time -f '%e %M' -o "$work/time_gen_n${n}_k${k}" "$bin" generate "$circuit" --neurons "$n" --indegree "$k" \
        --seed "$seed" --tstop "$tstop" --dt "$dt" > "$work/gen_n${n}_k${k}.log" 2>&1 || rc=$?
      if [ "$rc" -ne 0 ]; then
        tail -n 20 "$work/gen_n${n}_k${k}.log" >&2
        fail_run "$n" "$k" 0 "pointsim generate failed with exit code $rc: $(grep -v '^Command' "$work/gen_n${n}_k${k}.log" | tail -n 1)"
      fi
      read -r gen_s gen_kb < <(tail -n 1 "$work/time_gen_n${n}_k${k}")
      gen_mb=$(awk -v kb="$gen_kb" 'BEGIN { printf "%.1f", kb * 1024 / 1e6 }')
      echo "   $(grep -v '^Command' "$work/gen_n${n}_k${k}.log" | tail -n 1) ($gen_s s)" >&2
    fi
    circ_bytes=$(du -sb "$circuit" | cut -f1)
    for ((rep = 1; rep <= repeat; rep++)); do
      run_case "$n" "$k" 1 "$circuit" "$rep" "$gen_s" "$gen_mb" "$circ_bytes"
      for m in $mpi_sizes; do
        if [ "$m" = "$n" ]; then run_case "$n" "$k" "$mpi_ranks" "$circuit" "$rep" "$gen_s" "$gen_mb" "$circ_bytes"; fi
      done
    done
    if [ "$keep" = 0 ]; then rm -rf "$circuit"; fi
  done
done

write_results
echo >&2
echo "results: $out (table: ${out%.json}.md)" >&2
print_table
