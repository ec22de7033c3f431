#!/usr/bin/env bash
# `pointsim build` benchmark: builds the PointNet tutorial's recipe
# (examples/tutorial_ch05/build.json) at several sizes and the same cell
# density (bench/recipes/tutorial_x<S>.json, from
# bench/make_scaled_tutorial_recipe.py) with each thread count, under
# /usr/bin/time -v, and prints per run and as medians: wall time, connect and
# write seconds (pointsim's own), max RSS, bytes of the files written,
# RSS / file bytes, edges, synapses, candidate pairs, time per edge and per
# candidate pair; and whether the x100 build meets the targets (<= 30 s,
# max RSS <= 2 x file bytes).
#
# usage: bench/build_scaling.sh [--scales "1 10 100"] [--threads "1 2"] [--repeat 3]
#          [--work DIR] [--pointsim PATH] [--out FILE.md] [--wait-idle SECONDS]
# --out writes the median table to FILE.md and every run to FILE.tsv.
# Needs bash, coreutils, awk, GNU time (/usr/bin/time, Debian package `time`)
# and python3 (standard library only). See bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
scales="1 10 100"
thread_counts="1 2"
repeat=3
work=/tmp/pointsim-bench-build
pointsim="$repo/build/apps/pointsim/pointsim"
out=""
wait_idle=0

while [ $# -gt 0 ]; do
  case "$1" in
    --scales) scales=$2; shift 2 ;;
    --threads) thread_counts=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --pointsim) pointsim=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --wait-idle) wait_idle=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "build_scaling.sh: unknown option '$1'" >&2; sed -n '12,14p' "$0" >&2; exit 2 ;;
  esac
done

die() { echo "build_scaling.sh: ERROR: $*" >&2; exit 1; }
[ -x "$pointsim" ] || die "no pointsim binary at $pointsim (build first: cmake --build build -j2)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
command -v python3 >/dev/null || die "python3 is missing (needed to write the scaled recipes)"
mkdir -p "$work"
work=$(cd "$work" && pwd)
# A private copy of the binary: a rebuild during the benchmark cannot mix versions.
bin="$work/pointsim"
[ "$pointsim" -ef "$bin" ] || cp "$pointsim" "$bin"
runs="$work/runs.tsv"
printf '# scale\tthreads\trep\twall_s\tuser_s\tsys_s\tmax_rss_kb\tfile_bytes\tfiles\tedges\tsynapses\tcandidate_pairs\tselection_pairs\tconnect_s\twrite_s\tothers_cpu_pct\n' > "$runs"
n_proc=$(nproc)
clk_tck=$(getconf CLK_TCK)

recipe_for() {  # S -> recipe path (written into the work folder if not in bench/recipes)
  local s=$1
  if [ "$s" = 1 ]; then echo "$repo/examples/tutorial_ch05/build.json"; return; fi
  if [ -f "$here/recipes/tutorial_x$s.json" ]; then echo "$here/recipes/tutorial_x$s.json"; return; fi
  python3 "$here/make_scaled_tutorial_recipe.py" "$s" "$work/tutorial_x$s.json" >&2
  echo "$work/tutorial_x$s.json"
}

# Candidate pairs that are not distance-rule pairs: for select_source_cells
# pointsim counts the sources each target drew, i.e. the edges that rule
# made. Prints the edge populations ("LGN_to_V1") made only by
# select_source_cells, whose edge counts run_one subtracts; "nan" when the
# recipe has other rules than distance_connector and select_source_cells or
# mixes the two in one edge file.
selection_pops() {
  python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
sel, dist = set(), set()
try:
    for owner, net in r["networks"].items():
        for e in net.get("edges", []):
            rule = e["connection_rule"]
            pop = e.get("source", {}).get("network", owner) + "_to_" + e.get("target", {}).get("network", owner)
            if rule == "distance_connector":
                dist.add(pop)
            elif rule == "select_source_cells":
                sel.add(pop)
            else:
                raise ValueError(rule)
    print("nan" if sel & dist else " ".join(sorted(sel)) or "none")
except (ValueError, KeyError):
    print("nan")
EOF
}



version=$("$bin" --version 2>&1 | head -1)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
git_describe=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)
run_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "pointsim build benchmark: $version, $n_proc CPUs (${cpu_model:-unknown}), scales $scales, threads $thread_counts, $repeat repeats, work folder $work" >&2

declare -A recipe other_pops
for s in $scales; do
  recipe[$s]=$(recipe_for "$s")
  other_pops[$s]=$(selection_pops "${recipe[$s]}")
done

run_one() {  # S T REP
  local s=$1 t=$2 rep=$3
  local od="$work/out_x${s}_t${t}" tag="x${s}_t${t}_r${rep}"
  rm -rf "$od"
  sync  # the previous run's dirty pages are written back before this run starts
  [ "$wait_idle" -gt 0 ] && wait_for_idle "$wait_idle"
  local cmd=("$bin" build "${recipe[$s]}" --output "$od" --threads "$t")
  echo "== x$s, $t thread(s), run $rep: /usr/bin/time -v ${cmd[*]}" >&2
  local stat0 stat1 rc=0
  stat0=$(head -n 1 /proc/stat)
  /usr/bin/time -v -o "$work/time_$tag" "${cmd[@]}" > "$work/stdout_$tag" 2> "$work/stderr_$tag" || rc=$?
  stat1=$(head -n 1 /proc/stat)
  if [ "$rc" -ne 0 ]; then
    tail -n 20 "$work/stderr_$tag" >&2
    die "x$s with $t thread(s) failed with exit code $rc"
  fi
  local wall rss_kb user sys
  read -r wall rss_kb user sys < <(awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /Maximum resident set size/ { m = $2 }
    /User time/ { u = $2 } /System time/ { sy = $2 }
    END { print w, m, u, sy }' "$work/time_$tag")
  local bytes files
  bytes=$(find "$od" -type f -exec stat -c %s {} + | awk '{ b += $1 } END { print b + 0 }')
  files=$(find "$od" -type f | wc -l)
  # "... V1_to_V1 36290378 edges (224720713 synapses); ... N candidate pairs; X s to connect, Y s to write"
  local edges syn cand conn wr
  read -r edges syn cand conn wr < <(awk '{
      for (i = 1; i <= NF; i++) {
        if ($i == "edges") e += $(i - 1)
        if ($i == "synapses);") { x = $(i - 1); sub(/^\(/, "", x); y += x }
        if ($i == "candidate" && $(i + 1) == "pairs;") c = $(i - 1)
        if ($i == "s" && $(i + 2) == "connect,") cn = $(i - 1)
        if ($i == "s" && $(i + 2) == "write") w = $(i - 1)
      } }
    END { print e + 0, y + 0, (c == "" ? "nan" : c), (cn == "" ? "nan" : cn), (w == "" ? "nan" : w) }' "$work/stdout_$tag")
  # Candidate pairs of select_source_cells: the edges of its edge files.
  local sel_pairs=0 pop
  for pop in ${other_pops[$s]}; do
    case "$pop" in
      nan) sel_pairs=nan ;;
      none) ;;
      *) sel_pairs=$(awk -v p="$pop" -v acc="$sel_pairs" '{ for (i = 1; i < NF; i++) if ($i == p) print acc + $(i + 1) }' "$work/stdout_$tag") ;;
    esac
  done
  local others
  others=$(printf '%s\n%s\n' "$stat0" "$stat1" | awk -v hz="$clk_tck" -v u="$user" -v s="$sys" -v w="$wall" -v np="$n_proc" '
    { busy = 0; for (i = 2; i <= NF; i++) if (i != 5 && i != 6) busy += $i
      if (NR == 1) b0 = busy; else { o = (w > 0) ? 100 * ((busy - b0) / hz - u - s) / (w * np) : 0; if (o < 0) o = 0; printf "%.0f", o } }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$s" "$t" "$rep" "$wall" "$user" "$sys" "$rss_kb" "$bytes" "$files" "$edges" "$syn" "$cand" "$sel_pairs" \
    "$conn" "$wr" "$others" >> "$runs"
  awk -v w="$wall" -v c="$conn" -v wr="$wr" -v kb="$rss_kb" -v b="$bytes" -v e="$edges" -v o="$others" 'BEGIN {
    printf "   wall %.2f s (connect %.2f s, write %.2f s), max RSS %.1f MB, files %.1f MB, RSS/files %.2f, %d edges; other processes used %d%% of the CPUs\n",
      w, c, wr, kb * 1024 / 1e6, b / 1e6, kb * 1024 / b, e, o }' >&2
  [ "$others" -le 10 ] || echo "   warning: other processes used ${others}% of the CPUs during the run: timings may be skewed" >&2
  rm -f "$work/stdout_$tag" "$work/stderr_$tag" "$work/time_$tag"
}

first_t=${thread_counts%% *}
for ((rep = 1; rep <= repeat; rep++)); do
  for s in $scales; do
    for t in $thread_counts; do
      run_one "$s" "$t" "$rep"
      # The files must not depend on the thread count: compare once per scale.
      if [ "$rep" = 1 ] && [ "$t" != "$first_t" ]; then
        for f in "$work/out_x${s}_t${first_t}"/*; do
          cmp -s "$f" "$work/out_x${s}_t${t}/$(basename "$f")" || die "x$s: $(basename "$f") differs between --threads $first_t and --threads $t"
        done
        echo "   files identical to those of --threads $first_t" >&2
        rm -rf "$work/out_x${s}_t${t}"
      fi
      if [ "$rep" != 1 ] || [ "$t" != "$first_t" ]; then rm -rf "$work/out_x${s}_t${t}"; fi
    done
  done
  for s in $scales; do rm -rf "$work/out_x${s}_t${first_t}"; done
done

# Medians per (scale, threads). Times per edge = wall / edges; per candidate
# pair = connect seconds / distance-rule candidate pairs (all candidates
# minus the sources select_source_cells drew; the LGN rule's connect time is
# included, so this slightly overstates the cost per distance pair).
table=$(grep -v '^#' "$runs" | sort -t $'\t' -k1,1n -k2,2n | awk -F'\t' -v version="$version" -v git="$git_describe" \
  -v nproc="$n_proc" -v cpu="${cpu_model:-unknown}" -v date="$run_date" '
  function med(key, col,   n, i, j, a, tmp) {
    n = cnt[key]; for (i = 1; i <= n; i++) a[i] = v[key, col, i]
    for (i = 2; i <= n; i++) { tmp = a[i]; for (j = i - 1; j >= 1 && a[j] > tmp; j--) a[j + 1] = a[j]; a[j + 1] = tmp }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    key = $1 SUBSEP $2
    if (!(key in cnt)) { order[++nk] = key; sc[key] = $1; th[key] = $2 }
    c = ++cnt[key]
    v[key, "wall", c] = $4; v[key, "cpu", c] = $5 + $6; v[key, "rss", c] = $7 * 1024 / 1e6
    v[key, "bytes", c] = $8 / 1e6; v[key, "ratio", c] = $7 * 1024 / $8
    v[key, "conn", c] = $14; v[key, "write", c] = $15; v[key, "others", c] = $16
    edges[key] = $10; syn[key] = $11; cand[key] = $12; other[key] = $13; files[key] = $9
    if ($16 > 10) noisy[key]++
  }
  END {
    print "| scale | V1 cells | threads | runs | wall s | connect s | write s | CPU s (user+sys) | max RSS MB | files MB | RSS / files | edges | synapses | candidate pairs (all) | distance-rule pairs | ns per edge (wall) | ns per distance pair (connect) | noisy runs |"
    print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (k = 1; k <= nk; k++) {
      key = order[k]
      w = med(key, "wall"); cn = med(key, "conn")
      dp = (cand[key] == "nan" || other[key] == "nan") ? "nan" : cand[key] - other[key]
      printf "| x%s | %d | %s | %d | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %.2f | %d | %d | %s | %s | %.0f | %s | %d |\n",
        sc[key], 400 * sc[key], th[key], cnt[key], w, cn, med(key, "write"), med(key, "cpu"), med(key, "rss"), med(key, "bytes"),
        med(key, "ratio"), edges[key], syn[key], cand[key], (dp == "nan" ? "n/a" : sprintf("%d", dp)),
        1e9 * w / edges[key], (dp == "nan" || dp == 0) ? "n/a" : sprintf("%.1f", 1e9 * cn / dp), noisy[key] + 0
      if (sc[key] == 100) verdict = verdict sprintf("x100, %s thread(s): wall %.2f s (target <= 30 s: %s), max RSS / files %.2f (target <= 2: %s)\n",
        th[key], w, (w <= 30 ? "met" : "MISSED"), med(key, "ratio"), (med(key, "ratio") <= 2 ? "met" : "MISSED"))
    }
    printf "\n(median of the runs of each row; MB = 10^6 bytes; noisy = other processes used > 10%% of the CPUs)\n"
    printf "(%s, git %s, %d CPUs (%s), %s)\n", version, git, nproc, cpu, date
    if (verdict != "") printf "\n%s", verdict
  }')
echo >&2
echo "$table"
echo "per-run data: $runs" >&2
if [ -n "$out" ]; then
  echo "$table" > "$out"
  cp "$runs" "${out%.md}.tsv"
  echo "written: $out, ${out%.md}.tsv" >&2
fi
