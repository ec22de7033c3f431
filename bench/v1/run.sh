#!/usr/bin/env bash
# The V1-scale benchmark (bench/v1/README.md): builds the network of
# bench/v1/recipe.json once with `pointsim build`, then runs 1 s of it with
# `pointsim run` on 1 process and with `mpirun -np 2 --bind-to none`, each
# under `/usr/bin/time -v`, and prints a table: build seconds, load (the
# phases of the log's Summary before simulate), simulate, wall, peak memory,
# spikes and mean rate, then where the time goes (every phase) and the goal
# (<= 60 s wall and <= 4 GB per run on 2 processes).
#
#   bench/v1/run.sh [SCRATCH] [options]
#     SCRATCH          folder for the network and the outputs (default /tmp/pointsim_v1)
#     --scale S        the network at S times the size and the same density:
#                      node counts x S (V1 and LGN), column radius x sqrt(S)
#                      (default 1; e.g. 0.1 for a quick check)
#     --nps "1 2"      process counts to run (default "1 2")
#     --threads N      threads of `pointsim build` (default 2)
#     --pointsim PATH  the binary (default build/apps/pointsim/pointsim of this checkout)
#     --reuse          keep SCRATCH/network if it was built from the same recipe
#     --repeat R       run each process count R times (default 1), alternating
#     --wait-idle S    before each run wait up to S seconds for 5 s in a row
#                      with the CPUs under 10% busy (the machine is shared)
#     --perf           also profile the 1-process run with `perf record -g`
#                      (top functions by self time; needs perf)
#     --out FILE       also write the tables to FILE (markdown)
#
# Needs bash, coreutils, awk, cmp, GNU time (/usr/bin/time, Debian `time`),
# mpirun for more than one process; no Python. Disk: 3.0 GB at scale 1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"
scratch=/tmp/pointsim_v1 scale=1 nps="1 2" threads=2 reuse=0 perf=0 out="" repeat=1 wait_idle=0
bin="$repo/build/apps/pointsim/pointsim"

usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --nps) nps=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --pointsim) bin=$2; shift 2 ;;
    --reuse) reuse=1; shift ;;
    --repeat) repeat=$2; shift 2 ;;
    --wait-idle) wait_idle=$2; shift 2 ;;
    --perf) perf=1; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; usage 2 ;;
    *) scratch=$1; shift ;;
  esac
done
awk -v s="$scale" 'BEGIN { exit !(s + 0 > 0) }' || { echo "run.sh: --scale must be a number > 0, got '$scale'" >&2; exit 2; }
[ -x "$bin" ] || { echo "run.sh: no pointsim binary at $bin (cmake --build build --target pointsim, or --pointsim PATH)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time (GNU time) is missing (Debian: apt-get install time)" >&2; exit 2; }
for np in $nps; do
  if [ "$np" -gt 1 ] && ! command -v mpirun > /dev/null; then echo "run.sh: mpirun is missing (--nps 1 runs without it)" >&2; exit 2; fi
done
if [ "$perf" = 1 ] && ! command -v perf > /dev/null; then echo "run.sh: perf is missing (Debian: linux-perf)" >&2; exit 2; fi

mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
# A copy of the binary: a rebuild during the benchmark cannot mix versions.
cp "$bin" "$scratch/pointsim.bin"
pointsim="$scratch/pointsim.bin"

# --- the recipe, scaled ---------------------------------------------------------
# The recipe writes one node group per line ("N": ..., "max_radius": ...), so
# awk can scale it: node counts x S (rounded, at least 1), radii x sqrt(S).
awk -v s="$scale" 'BEGIN { k = sqrt(s) }
  s == 1 { print; next }
  {
    if (match($0, /"N": [0-9]+/)) {
      n = int(substr($0, RSTART + 5, RLENGTH - 5) * s + 0.5); if (n < 1) n = 1
      $0 = substr($0, 1, RSTART - 1) "\"N\": " n substr($0, RSTART + RLENGTH)
    }
    if (match($0, /"max_radius": [0-9.]+/)) {
      r = substr($0, RSTART + 14, RLENGTH - 14) * k
      $0 = substr($0, 1, RSTART - 1) "\"max_radius\": " sprintf("%.3f", r) substr($0, RSTART + RLENGTH)
    }
    if (match($0, /"description": "/)) {
      $0 = substr($0, 1, RSTART + RLENGTH - 1) "[scaled by " s "] " substr($0, RSTART + RLENGTH)
    }
    print
  }' "$here/recipe.json" > "$scratch/recipe.json.new"
expected_v1=$(awk -v s="$scale" '/"N": / && !/"virtual"/ { match($0, /"N": [0-9]+/); n = int(substr($0, RSTART + 5, RLENGTH - 5) * s + 0.5); t += (n < 1 ? 1 : n) } END { print t }' "$here/recipe.json")

# The configs and components, so that ${configdir} is the scratch folder.
cp "$here/config.json" "$here/circuit_config.json" "$here/simulation_config.json" "$scratch/"
rm -rf "$scratch/components" && cp -r "$here/components" "$scratch/components"

# --- machine, version, interference ----------------------------------------------
n_proc=$(nproc)
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_model=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//' || true)
mem_gib=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
version=$("$pointsim" --version 2>&1 | head -n 1)
commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | head -n 1)
[ -z "$dirty" ] || commit="$commit (with uncommitted changes)"
run_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# CPU time other processes used while a command ran, in % of all CPUs:
# (busy time from /proc/stat - the command's user + sys) / (wall x nproc).
others_percent() {  # STAT0 STAT1 WALL USER SYS
  printf '%s\n%s\n' "$1" "$2" | awk -v hz="$clk_tck" -v w="$3" -v u="$4" -v s="$5" -v np="$n_proc" '
    { busy = 0; for (i = 2; i <= NF; i++) if (i != 5 && i != 6) busy += $i
      if (NR == 1) b0 = busy; else { o = (w > 0) ? 100 * ((busy - b0) / hz - u - s) / (w * np) : 0; if (o < 0) o = 0; printf "%.0f", o } }'
}
wait_for_idle_or_say() {  # with --wait-idle: wait, and say so when the CPUs stayed busy
  [ "$wait_idle" -gt 0 ] || return 0
  wait_for_idle "$wait_idle"
  [ "$idle_reached" = 1 ] || echo "   the CPUs did not become idle within $wait_idle s (last second: ${idle_busy}% busy)" >&2
}
# "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.5" -> seconds; max RSS kB -> MB (10^6 bytes).
time_field() {  # FILE NAME
  case $2 in
    wall) awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$1" ;;
    rss) awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 * 1024 / 1e6 }' "$1" ;;
    user) awk -F': ' '/User time \(seconds\)/ { print $2 }' "$1" ;;
    sys) awk -F': ' '/System time \(seconds\)/ { print $2 }' "$1" ;;
  esac
}

# --- build -------------------------------------------------------------------------
build_s="(reused)" build_rss="" build_others="" build_line=""
if [ "$reuse" = 1 ] && [ -f "$scratch/network/.recipe.json" ] && cmp -s "$scratch/recipe.json.new" "$scratch/network/.recipe.json"; then
  echo "== reusing $scratch/network (built from the same recipe)" >&2
  mv "$scratch/recipe.json.new" "$scratch/recipe.json"
  build_line=$(cat "$scratch/network/.build_line" 2>/dev/null || true)
else
  mv "$scratch/recipe.json.new" "$scratch/recipe.json"
  rm -rf "$scratch/network"
  echo "== pointsim build (scale $scale, --threads $threads) -> $scratch/network" >&2
  wait_for_idle_or_say
  stat0=$(head -n 1 /proc/stat)
  /usr/bin/time -v -o "$scratch/build.time" "$pointsim" build "$scratch/recipe.json" --output "$scratch/network" \
    --threads "$threads" > "$scratch/build.out" 2> "$scratch/build.err" || {
      echo "run.sh: pointsim build failed:" >&2; cat "$scratch/build.err" >&2; exit 1; }
  stat1=$(head -n 1 /proc/stat)
  build_line=$(cat "$scratch/build.out")
  build_s=$(time_field "$scratch/build.time" wall)
  build_rss=$(time_field "$scratch/build.time" rss)
  build_others=$(others_percent "$stat0" "$stat1" "$build_s" "$(time_field "$scratch/build.time" user)" "$(time_field "$scratch/build.time" sys)")
  cp "$scratch/recipe.json" "$scratch/network/.recipe.json"
  echo "$build_line" > "$scratch/network/.build_line"
  echo "   $build_line" >&2
  echo "   ${build_s} s wall, max RSS ${build_rss} MB; other processes used ${build_others}% of the CPUs" >&2
fi
built_v1=$(printf '%s\n' "$build_line" | sed -n 's/.* V1 \([0-9]*\) nodes;.*/\1/p')
[ -z "$built_v1" ] || [ "$built_v1" = "$expected_v1" ] ||
  { echo "run.sh: the scaled recipe has $built_v1 V1 cells, expected $expected_v1" >&2; exit 1; }
net_bytes=$(du -sb "$scratch/network" | awk '{ print $1 }')

# --- runs ----------------------------------------------------------------------------
# Parses log.txt's Summary block into variables s_<name> (bench/summary.awk).
parse_log() {
  eval "$(awk -v population=V1 -f "$here/../summary.awk" "$1")"
}

rows=() phase_rows=() first_spikes="" identical="yes"
wall_np2="" peak_np2="" rss_np2="" others_np2=""
runs=()
for ((rep = 1; rep <= repeat; rep++)); do for np in $nps; do runs+=("$np"); done; done
for np in "${runs[@]}"; do
  od="$scratch/output_np$np"
  rm -rf "$od"
  cmd=("$pointsim" run "$scratch/config.json" --output-dir "$od" -q)
  [ "$np" -gt 1 ] && cmd=(mpirun --bind-to none --oversubscribe --allow-run-as-root -np "$np" "${cmd[@]}")
  echo "== $np process(es): ${cmd[*]}" >&2
  wait_for_idle_or_say
  stat0=$(head -n 1 /proc/stat)
  /usr/bin/time -v -o "$scratch/run_np$np.time" "${cmd[@]}" > "$scratch/run_np$np.out" 2> "$scratch/run_np$np.err" || {
    echo "run.sh: the run on $np process(es) failed:" >&2; tail -n 20 "$scratch/run_np$np.err" >&2; exit 1; }
  stat1=$(head -n 1 /proc/stat)
  s_synapses="" s_population_nodes="" s_config="" s_nodes="" s_partition="" s_edges="" s_inputs="" s_simulate="" s_events="" s_updates=""
  s_write="" s_peak_mb="" s_spikes="" s_tstop=""
  parse_log "$od/log.txt"
  [ -n "$s_simulate" ] && [ -n "$s_peak_mb" ] && [ -n "$s_spikes" ] ||
    { echo "run.sh: could not read the Summary block of $od/log.txt" >&2; exit 1; }
  wall=$(time_field "$scratch/run_np$np.time" wall)
  rss=$(time_field "$scratch/run_np$np.time" rss)
  others=$(others_percent "$stat0" "$stat1" "$wall" "$(time_field "$scratch/run_np$np.time" user)" "$(time_field "$scratch/run_np$np.time" sys)")
  read -r load rate <<< "$(awk -v c="$s_config" -v n="$s_nodes" -v p="${s_partition:-0}" -v e="$s_edges" -v i="$s_inputs" \
    -v spk="$s_spikes" -v v1="$s_population_nodes" -v t="$s_tstop" 'BEGIN { printf "%.2f %.2f", c + n + p + e + i, spk / v1 / (t / 1000) }')"
  # The same spikes on any number of processes (tests/mpi checks it on small circuits).
  if [ -z "$first_spikes" ]; then first_spikes="$od/spikes.h5"
  elif ! cmp -s "$first_spikes" "$od/spikes.h5"; then identical="NO"; fi
  rows+=("| $np | $load | $s_simulate | $s_write | **$wall** | **$s_peak_mb** | $rss | $s_spikes | $rate | $others |")
  phase_rows+=("| $np | $s_config | $s_nodes | ${s_partition:-–} | $s_edges | $s_inputs | $s_simulate | $s_write | $s_events | $s_updates |")
  echo "   load $load s, simulate $s_simulate s, wall $wall s, peak $s_peak_mb MB (largest rank), $s_spikes spikes ($rate Hz); other processes used ${others}% of the CPUs" >&2
  # The goal is checked on the fastest 2-process run (the least disturbed).
  if [ "$np" = 2 ] && { [ -z "$wall_np2" ] || awk -v a="$wall" -v b="$wall_np2" 'BEGIN { exit !(a < b) }'; }; then
    wall_np2=$wall peak_np2=$s_peak_mb rss_np2=$rss others_np2=$others
  fi
done

# --- perf ------------------------------------------------------------------------------
perf_table=""
if [ "$perf" = 1 ]; then
  echo "== perf record -g: 1 process" >&2
  wait_for_idle_or_say
  perf record -g -o "$scratch/perf.data" -- "$pointsim" run "$scratch/config.json" --output-dir "$scratch/output_perf" -q \
    > /dev/null 2> "$scratch/perf.err"
  perf report -i "$scratch/perf.data" --no-children --percent-limit 1 --stdio -g none 2> /dev/null > "$scratch/perf-report.txt"
  perf_table=$(awk '/^ +[0-9.]+%/ { pct = $1; sym = ""; for (i = 5; i <= NF; i++) sym = sym (i > 5 ? " " : "") $i
                                     printf "| %s | `%s` |\n", pct, sym }' "$scratch/perf-report.txt" | head -n 15)
fi

# --- tables ------------------------------------------------------------------------------
report() {
  echo "V1 benchmark, scale $scale: $(printf '%s' "$build_line" | sed 's/^pointsim: wrote [^:]*: //')"
  echo
  echo "$run_date, $version, commit $commit; $n_proc CPUs ($cpu_model), $mem_gib GiB; network on disk $(awk -v b="$net_bytes" 'BEGIN { printf "%.2f GB", b / 1e9 }')"
  echo
  echo "Build (\`pointsim build --threads $threads\`): ${build_s} s wall, max RSS ${build_rss:-–} MB$( [ -n "$build_others" ] && echo ", other processes ${build_others}% of the CPUs")"
  echo
  echo "| processes | load s | simulate s | write s | wall s | peak memory MB (log, largest rank) | max RSS MB (time -v) | V1 spikes | mean rate Hz | other processes' CPU % |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Where the time goes (the log's Summary phases, seconds; events/s and updates/s over the simulate phase):"
  echo
  echo "| processes | config | read nodes | partition | read edges, connectivity | neurons, inputs, reports | simulate | write | synaptic events/s | neuron updates/s |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${phase_rows[@]}"
  echo
  echo "Spikes identical on every process count: $identical"
  if [ -n "$wall_np2" ]; then
    local ok_t ok_m
    ok_t=$(awk -v w="$wall_np2" 'BEGIN { print (w <= 60) ? "met" : "NOT met" }')
    ok_m=$(awk -v m="$peak_np2" -v r="$rss_np2" 'BEGIN { print (m <= 4000 && r <= 4000) ? "met" : "NOT met" }')
    echo "Goal on 2 processes$( [ "$repeat" -gt 1 ] && echo " (the fastest run)"): wall $wall_np2 s (<= 60 s: $ok_t), peak memory $peak_np2 MB per rank, $rss_np2 MB by time -v (<= 4 GB: $ok_m); other processes used ${others_np2}% of the CPUs meanwhile$(awk -v o="$others_np2" 'BEGIN { if (o > 10) print " (not a clean run)" }')"
  fi
  if [ -n "$perf_table" ]; then
    echo
    echo "perf record -g, 1 process, self time (functions above 1%):"
    echo
    echo "| self | function |"
    echo "|---:|---|"
    printf '%s\n' "$perf_table"
  fi
}
report | tee ${out:+"$out"}
