#!/usr/bin/env bash
# Checkpoints survive a killed job (docs/cluster.md): a run killed with
# SIGKILL after a checkpoint and resumed with --resume, and a run stopped by
# SIGTERM (which writes a checkpoint, exit code 75) and resumed, both write
# outputs byte-identical to an uninterrupted run's; so does a run that
# writes checkpoints and is never stopped, which leaves none behind. A
# corrupted checkpoint, and one of another config, are refused with nothing
# written. A state saved halfway (--save-state) and continued
# (--restore-state) gives the uninterrupted run's spikes.
# usage: checkpoint.sh POINTSIM CONFIG WORKDIR NP EVERY_MS [TSTOP_MS]
# (THREADS=T in the environment: T threads per process)
set -uo pipefail
fail() { echo "FAIL: $*"; exit 1; }
pointsim=$1 config=$2 work=$3 np=$4 every=$5 tstop=${6:-}
rm -rf "$work"
mkdir -p "$work"
# The example copied (with the components it shares), to edit its tstop.
ex_dir=$(cd "$(dirname "$config")" && pwd)
cp -r "$ex_dir" "$work/example"
[ -d "$ex_dir/../point_components" ] && cp -r "$ex_dir/../point_components" "$work/point_components"
config=$work/example/$(basename "$config")
set_tstop() { sed -e "s|\"tstop\": *[0-9.eE+-]*|\"tstop\": $2|" "$config" > "$1"; grep -q "\"tstop\": $2" "$1" || fail "could not set tstop in $1"; }
if [ -n "$tstop" ]; then
  set_tstop "$work/example/shortened.json" "$tstop"
  config=$work/example/shortened.json
fi
tstop=$(grep -o '"tstop": *[0-9.eE+-]*' "$config" | grep -o '[0-9.eE+-]*$')
scale=${POINTSIM_TIMEOUT_SCALE:-1}
launch=()
[ "$np" -gt 1 ] && launch=(mpirun --bind-to none --oversubscribe --allow-run-as-root -x POINTSIM_TEST_HOLD_AFTER_CHECKPOINT_MS -np "$np")
# The runs to be stopped hold after each checkpoint until a signal comes
# (or a minute passes), so the test stops them at a known point, however
# fast the circuit runs (a test hook of src/app/run_state.cpp).
export POINTSIM_TEST_HOLD_AFTER_CHECKPOINT_MS=0
run() { timeout $((600 * scale)) "${launch[@]}" "$pointsim" run "$config" --threads "${THREADS:-1}" "$@"; }

# Every output but the log and the config copy must be the same bytes.
same_outputs() {
  local n=0
  for f in $(cd "$work/ref" && ls); do
    case $f in log.txt|*.json) continue ;; esac
    cmp "$work/ref/$f" "$1/$f" || fail "$f differs from the uninterrupted run's ($1)"
    n=$((n + 1))
  done
  [ "$n" -ge 2 ] || fail "only $n output files compared"
  echo "$n outputs identical: $1"
}

run -q --output-dir "$work/ref" || fail "uninterrupted run"

# Until a checkpoint folder appears in $1, or job $2 ends.
wait_for_checkpoint() {
  for _ in $(seq 1 $((3000 * scale))); do
    ls -d "$1"/checkpoint-* > /dev/null 2>&1 && return
    kill -0 "$2" 2> /dev/null || return
    sleep 0.02
  done
}

# Checkpoints on, never stopped: same outputs, no checkpoint left.
run -q --output-dir "$work/steady" --checkpoint-every "$every" --checkpoint-dir "$work/steady_ckpt" || fail "run with checkpoints"
same_outputs "$work/steady"
[ -e "$work/steady_ckpt" ] && fail "checkpoints left after a complete run: $(ls -A "$work/steady_ckpt")"

# SIGKILL once a checkpoint exists (every process of the job), then resume.
POINTSIM_TEST_HOLD_AFTER_CHECKPOINT_MS=60000 \
  run -q --output-dir "$work/killed" --checkpoint-every "$every" --checkpoint-dir "$work/kill_ckpt" 2> "$work/killed.err" &
job=$!
wait_for_checkpoint "$work/kill_ckpt" $job
pkill -KILL -f -- "--output-dir $work/killed"
wait $job
ls -d "$work"/kill_ckpt/checkpoint-* > /dev/null 2>&1 || fail "no checkpoint was written before the run ended: $(cat "$work/killed.err")"
[ -e "$work/killed/spikes.h5" ] && fail "the run finished before it was killed (make it longer)"
echo "killed after $(ls -d "$work"/kill_ckpt/checkpoint-* | xargs -n1 basename)"
# Refused, nothing written: a corrupted checkpoint, a checkpoint of another config.
cp -r "$work/kill_ckpt" "$work/bad_ckpt"
state=$(ls "$work"/bad_ckpt/checkpoint-*/rank-0.state)
# One byte in the middle inverted (a fixed value could equal the byte there).
middle=$(( $(stat -c %s "$state") / 2 ))
byte=$(od -A n -t u1 -j "$middle" -N 1 "$state" | tr -d ' ')
printf "\\$(printf %03o $(( 255 - byte )))" | dd of="$state" bs=1 seek="$middle" conv=notrunc status=none
cmp -s "$state" "$work/kill_ckpt/$(basename "$(dirname "$state")")/rank-0.state" && fail "the state file was not changed"
run -q --output-dir "$work/refused" --resume "$work/bad_ckpt" 2> "$work/refused.err"
code=$?
[ "$code" -eq 4 ] && grep -q "pointsim: error: $state: corrupted state file" "$work/refused.err" ||
  fail "corrupted checkpoint: exit code $code: $(cat "$work/refused.err")"
set_tstop "$work/example/other.json" 1234
timeout $((600 * scale)) "${launch[@]}" "$pointsim" run "$work/example/other.json" -q --output-dir "$work/refused" \
  --threads "${THREADS:-1}" --resume "$work/kill_ckpt" 2> "$work/refused.err"
code=$?
[ "$code" -eq 4 ] && grep -q "pointsim: error: .*rank-0.state: written by a run of another config" "$work/refused.err" ||
  fail "checkpoint of another config: exit code $code: $(cat "$work/refused.err")"
[ -e "$work/refused" ] && fail "a refused resume created $work/refused: $(ls -A "$work/refused")"
echo "refused: a corrupted checkpoint, a checkpoint of another config"

run -q --output-dir "$work/killed" --resume "$work/kill_ckpt" || fail "resume after SIGKILL"
same_outputs "$work/killed"
ls -A "$work/killed" | grep -q pointsim-tmp && fail "temporary files left"

# SIGTERM: a checkpoint at the next boundary, exit code 75, then resume.
# (held after its first periodic checkpoint: the signal ends the hold, and
# the next boundary writes the checkpoint it stops at)
POINTSIM_TEST_HOLD_AFTER_CHECKPOINT_MS=60000 \
  run -q --output-dir "$work/termed" --checkpoint-every "$every" --checkpoint-dir "$work/term_ckpt" 2> "$work/termed.err" &
job=$!
wait_for_checkpoint "$work/term_ckpt" $job
# The processes of the job, not mpirun (which would end them itself): as a
# scheduler signals a job's tasks.
pkill -TERM -f -- "^$pointsim run .*--output-dir $work/termed"
wait $job
code=$?
[ "$code" -eq 75 ] || fail "SIGTERM: exit code $code, expected 75: $(cat "$work/termed.err")"
grep -q "pointsim: error: stopped by SIGTERM at t = .*checkpoint written to .*--resume" "$work/termed.err" ||
  fail "SIGTERM message: $(grep error "$work/termed.err")"
run -q --output-dir "$work/termed" --resume "$work/term_ckpt" || fail "resume after SIGTERM"
same_outputs "$work/termed"

# A saved state halfway, continued: the two runs' spikes are the whole run's.
half=$(awk "BEGIN { print $tstop / 2 }")
set_tstop "$work/example/half.json" "$half"
timeout $((600 * scale)) "${launch[@]}" "$pointsim" run "$work/example/half.json" -q --output-dir "$work/half" \
  --threads "${THREADS:-1}" --save-state "$work/half.state" || fail "run with --save-state"
run -q --output-dir "$work/rest" --restore-state "$work/half.state" || fail "run with --restore-state"
sort <(tail -n +2 "$work/half/spikes.csv") <(tail -n +2 "$work/rest/spikes.csv") > "$work/joined.txt"
tail -n +2 "$work/ref/spikes.csv" | sort > "$work/whole.txt"
[ "$(wc -l < "$work/rest/spikes.csv")" -gt 10 ] || fail "too few spikes after the saved state"
cmp "$work/joined.txt" "$work/whole.txt" || fail "saved state + restored run differ from the whole run"
echo "saved at $half ms and continued: $(wc -l < "$work/whole.txt") spikes as in the whole run"
echo ok
