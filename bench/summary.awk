# Reads a pointsim log.txt and prints shell assignments s_<name>=<value> for
# the figures of its Summary block and a few lines before it; the bench
# scripts eval them (bench/run_benchmarks.sh, bench/v1/run.sh):
#   eval "$(awk -f bench/summary.awk [-v population=V1] output/log.txt)"
# s_synapses, s_tstop, s_config, s_nodes, s_partition (MPI only), s_edges,
# s_inputs, s_simulate, s_events, s_updates, s_write, s_peak_mb, s_spikes;
# with -v population=NAME, s_spikes counts that population's spikes only
# and s_population_nodes is its node count; else s_spikes sums every population.
function num(s) { gsub(/[^0-9.eE+-]/, "", s); return s }
/\[info\] Edges: [0-9]+ synapses/ { s = $0; sub(/.*Edges: /, "", s); sub(/ .*/, "", s); print "s_synapses=" s }
/\[info\] Run: tstop [0-9.]+ ms/ { s = $0; sub(/.*Run: tstop /, "", s); sub(/ .*/, "", s); print "s_tstop=" s }
population != "" && index($0, "[info] Population " population ": ") {
  s = $0; sub(/.*\[info\] Population [^:]*: /, "", s); sub(/ .*/, "", s); print "s_population_nodes=" s
}
/\[info\] Summary \(/ { insum = 1; next }
insum {
  line = $0; sub(/^.*\[info\] +/, "", line)
  split(line, f, /  +/)
  if (f[1] == "config") print "s_config=" num(f[2])
  else if (f[1] == "read nodes") print "s_nodes=" num(f[2])
  else if (f[1] == "partition") print "s_partition=" num(f[2])
  else if (f[1] == "read edges, connectivity") print "s_edges=" num(f[2])
  else if (f[1] == "neurons, inputs, reports") print "s_inputs=" num(f[2])
  else if (f[1] == "simulate") {
    print "s_simulate=" num(f[2])
    ev = f[3]; sub(/^\(/, "", ev); sub(/ synaptic.*/, "", ev); print "s_events=" ev
    up = f[3]; sub(/.*, /, "", up); sub(/ neuron.*/, "", up); print "s_updates=" up
  }
  else if (f[1] == "write") print "s_write=" num(f[2])
  else if (f[1] == "peak memory") { m = f[2]; sub(/ MB.*/, "", m); print "s_peak_mb=" m }
  else if (f[1] ~ /^spikes / && (population == "" || f[1] == "spikes " population)) { spk += num(f[2]); seen = 1 }
}
# Without -v population: 0 when no population spiked; with it, nothing when it
# has no spikes line (the caller then reports an unreadable Summary).
END { if (seen || population == "") print "s_spikes=" spk + 0 }
