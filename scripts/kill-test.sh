#!/bin/bash
# Kill-and-resume test: trains one model uninterrupted, then trains it again killing `icl-zoo train`
# with SIGKILL at random moments, while it saves its state and while it writes the checkpoint, each
# time continuing with --resume; at the end both checkpoints must be identical, dataset by dataset
# and attribute by attribute (scripts/compare-checkpoints.py, h5py), and no temporary, lock or state
# file may be left. Prints one line per kill and a summary; exits non-zero on any failure.
#
#   scripts/kill-test.sh            (KILLS=12 STEPS=3000 SEED=<random> BIN=.build/release/icl-zoo)
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS=${KILLS:-12}
STEPS=${STEPS:-3000}
SEED=${SEED:-$RANDOM}
BIN=${BIN:-.build/release/icl-zoo}
PY=${PY:-.venv/bin/python}
RANDOM=$SEED
[ -x "$BIN" ] || { echo "kill-test: $BIN missing (make build)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A transformer with two heads, an MLP, snapshots and a fixed training set would each change how a
# run is saved; this recipe has heads, MLP and snapshots (the test suite covers the others quickly).
cat > "$work/recipe.json" <<JSON
{"name": "kill-test", "model": {"architecture": "transformer", "layers": 2, "heads": 2, "mlp_hidden": 16},
 "task": {"input_dim": 5, "context_size": 8},
 "training": {"seed": 3, "steps": $STEPS, "batch_size": 128, "eval_every": 50, "validation_tasks": 500, "snapshot_every": 200}}
JSON
# exec: the background job is the trainer itself, so that kill -9 hits it, not a subshell around it.
train() { exec "$BIN" train "$work/recipe.json" --quiet "$@" >>"$work/log" 2>&1; }

start=$(date +%s.%N)
(train --out "$work/reference.h5" --save-every never)
reference=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
(train --out "$work/startup.h5" --steps 1)
startup=$(echo "$(date +%s.%N) - $start" | bc)
rm "$work/startup.h5"
echo "uninterrupted run: $STEPS steps in ${reference} s; a run of 1 step: ${startup} s (seed of the kill times: $SEED)"

state_step() { [ -f "$work/run.h5.state" ] && "$PY" -c "import h5py,sys; print(h5py.File(sys.argv[1],'r').attrs['step'])" "$work/run.h5.state" || echo "-"; }
# Polls (bounded) until a file matching the glob appears or the process ends; 0 when it appeared.
wait_for() {
  local pid=$1 pattern=$2 deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
    compgen -G "$pattern" >/dev/null && return 0
  done
  return 1
}

kills=0; during_save=0; during_final=0; attempts=0
# Random kills fall from half the start-up time to a little over a run's share of the steps past
# it, so that they hit the start-up, training and saves, and the run advances between them.
min_sleep_ms=$(awk -v s="$startup" 'BEGIN { printf "%d", s * 500 }')
span_ms=$(awk -v s="$startup" -v r="$reference" -v k="$KILLS" 'BEGIN { printf "%d", (s / 2 + 1.2 * r / k) * 1000 + 1 }')
while [ $kills -lt $((KILLS + 1)) ] && [ $attempts -lt $((3 * KILLS)) ]; do
  attempts=$((attempts + 1))
  train --out "$work/run.h5" --resume --save-every 10 &
  pid=$!
  if [ $kills -eq $KILLS ]; then
    mode="final write"; wait_for $pid "$work/.run.h5.tmp-$pid-*" || true
  elif [ $((kills % 3)) -eq 1 ]; then
    # This process's own temporary file (named with its pid): it is writing the state right now.
    mode="state save"; wait_for $pid "$work/.run.h5.state.tmp-$pid-*" || true
  else
    delay=$(awk -v ms=$((min_sleep_ms + RANDOM % span_ms)) 'BEGIN { printf "%.3f", ms / 1000 }')
    mode="random after ${delay} s"; sleep "$delay"
  fi
  if kill -9 $pid 2>/dev/null; then
    wait $pid 2>/dev/null || true
    kills=$((kills + 1))
    temporaries=$(cd "$work" && ls -a | grep -c "\.tmp-$pid-" || true)
    compgen -G "$work/.run.h5.state.tmp-$pid-*" >/dev/null && during_save=$((during_save + 1))
    compgen -G "$work/.run.h5.tmp-$pid-*" >/dev/null && during_final=$((during_final + 1))
    echo "kill $kills ($mode): saved state at step $(state_step), $temporaries temporary file(s) of this process left behind"
  else
    wait $pid || { echo "kill-test: a resumed run failed:"; tail -5 "$work/log"; exit 1; }
    echo "run finished before kill $((kills + 1)) ($mode)"
    break
  fi
done
[ -f "$work/run.h5" ] || (train --out "$work/run.h5" --resume --save-every 10) || { tail -5 "$work/log"; exit 1; }
leftovers=$(cd "$work" && ls -a | grep -v -x -e . -e .. -e recipe.json -e reference.h5 -e run.h5 -e log || true)
echo "kills: $kills ($during_save while saving the state, $during_final while writing the checkpoint: the killed process's temporary file was there); runs started: $((attempts + 1))"
[ -z "$leftovers" ] || { echo "kill-test: files left behind: $leftovers"; exit 1; }
"$PY" scripts/compare-checkpoints.py "$work/reference.h5" "$work/run.h5"
[ $kills -ge $KILLS ] || { echo "kill-test: only $kills kills (the run finished sooner; raise STEPS)"; exit 1; }
