#!/usr/bin/env bash
# Build -> check -> run, and behaviour against BMTK's builder:
#   build_roundtrip.sh POINTSIM EXAMPLES_DIR WORK_DIR
# Builds the tutorial recipe (examples/tutorial_ch05/build.json) for several
# seeds, runs each network with the tutorial's simulation side (LGN spikes,
# components, configs of examples/tutorial_ch05) and does the same with the
# network BMTK's NetworkBuilder wrote from the tutorial's code
# (examples/tutorial_ch05_notebook/network). BMTK's firing rate of each V1
# population must lie within the spread of ours (mean +- 4.5 sd over seeds,
# sd widened for the small sample), as one more random network would.
set -euo pipefail
exe=$1 examples=$2 work=$3
seeds=(1 2 3 4 5 6 7 8)
rm -rf "$work" && mkdir -p "$work"

simulation() {  # simulation NAME NETWORK_DIR: a run folder using that network
    local dir=$work/$1
    mkdir -p "$dir"
    cp -r "$examples/tutorial_ch05/"{config.json,circuit_config.json,simulation_config.json,node_sets.json,components,inputs} "$dir/"
    cp -r "$2" "$dir/network"
    echo "$dir"
}

# Spikes per V1 population per second (node ids by add_nodes order, the
# same in both builders: Scnn1a 0-79, PV 80-99, LIF_exc 100-299, LIF_inh 300-399).
rates() {
    awk 'NR > 1 && $2 == "V1" { n = $3 + 0
           if (n < 80) c[0]++; else if (n < 100) c[1]++; else if (n < 300) c[2]++; else c[3]++ }
         END { printf "%.4f %.4f %.4f %.4f\n", c[0] / 80 / 3, c[1] / 20 / 3, c[2] / 200 / 3, c[3] / 100 / 3 }' "$1"
}

: > "$work/rates.txt"
for seed in "${seeds[@]}"; do
    threads=$(( seed % 3 + 1 ))  # 1, 2 or 3 threads: the network must not care
    "$exe" build "$examples/tutorial_ch05/build.json" --output "$work/net$seed" --seed "$seed" --threads "$threads" > /dev/null
    dir=$(simulation "seed$seed" "$work/net$seed")
    "$exe" check "$dir/config.json" > /dev/null
    "$exe" run "$dir/config.json" -q
    test -s "$dir/output/spikes.h5"
    rates "$dir/output/spikes.csv" >> "$work/rates.txt"
done
dir=$(simulation bmtk "$examples/tutorial_ch05_notebook/network")
"$exe" run "$dir/config.json" -q
bmtk=$(rates "$dir/output/spikes.csv")

# Same seed, other thread count: the same network, so the same spikes.
"$exe" build "$examples/tutorial_ch05/build.json" --output "$work/net1_t2" --seed 1 --threads 2 > /dev/null
for f in "$work"/net1/*; do cmp "$f" "$work/net1_t2/$(basename "$f")"; done

awk -v bmtk="$bmtk" 'BEGIN { split(bmtk, b, " "); split("Scnn1a PV LIF_exc LIF_inh", name, " ") }
    { for (i = 1; i <= 4; i++) { s[i] += $i; ss[i] += $i * $i } n++ }
    END {
        bad = 0
        printf "population  BMTK-built  ours (mean +- sd over %d seeds)  rates in Hz\n", n
        for (i = 1; i <= 4; i++) {
            m = s[i] / n; v = (ss[i] - n * m * m) / (n - 1); if (v < 0) v = 0
            sd = sqrt(v * (1 + 1 / n))
            ok = (b[i] >= m - 4.5 * sd && b[i] <= m + 4.5 * sd)
            printf "%-10s  %10.3f  %8.3f +- %.3f  %s\n", name[i], b[i], m, sd, ok ? "ok" : "OUTSIDE"
            if (!ok) bad = 1
        }
        if (bad) { print "build_roundtrip: BMTK-built rates lie outside the spread of pointsim builds"; exit 1 }
    }' "$work/rates.txt"
echo "build_roundtrip: ${#seeds[@]} networks built, checked and run; BMTK's rates within their spread"
