#!/bin/bash
# make test-slurm: `icl-zoo sweep` on a real Slurm. Starts a single-node Slurm in a scratch folder
# (this machine as controller and compute node; Debian's slurm-wlm and munge, installed when
# missing), submits a sweep of 2 recipes x 2 seeds with sbatch and waits for it, checks that the four
# checkpoints arrived and load, then requeues an array task mid-run and checks that its checkpoint is
# identical to an uninterrupted run's. Stops the daemons it started, by their pids, whatever happens.
#
# Needs root (or sudo) for apt-get and for slurmd, which starts jobs as their user. Every wait is
# bounded. Waits use squeue and final states scontrol (kept MinJobAge seconds): sacct would need
# slurmdbd and a database. Set KEEP=1 to keep the scratch folder (logs, slurm.conf) afterwards.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
zoo="$root/.build/release/icl-zoo"
analyze="$root/.build/release/icl-analyze"
python="$root/.venv/bin/python"
started=$SECONDS
say() { printf '[test-slurm %3ds] %s\n' $((SECONDS - started)) "$*"; }
fail() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && exec sudo -E "$0" "$@"; fail "needs root (slurmd runs jobs as their user)"; }
[ -x "$zoo" ] && [ -x "$python" ] || fail "build first: make build venv (make test-slurm does)"

# --- Debian's Slurm and MUNGE, only when missing ------------------------------------------------
if ! dpkg -s slurm-wlm munge >/dev/null 2>&1; then
    say "installing slurm-wlm munge"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
say "slurm-wlm $(dpkg-query -W -f '${Version}' slurm-wlm), munge $(dpkg-query -W -f '${Version}' munge)"

# --- A scratch folder with everything the daemons write ------------------------------------------
scratch=$(mktemp -d /tmp/icl-zoo-slurm-XXXXXX)
chmod 755 "$scratch"
pids=()   # daemons started here, stopped by pid on exit
cleanup() {
    local status=$?
    set +e   # clean up everything, whatever fails
    [ -n "${reference:-}" ] && kill "$reference" 2>/dev/null   # the uninterrupted run, if still going
    if [ -n "${SLURM_CONF:-}" ] && [ -f "$scratch/slurmctld.pid" ]; then
        scancel --quiet --user=root 2>/dev/null || true
    fi
    for pidfile in slurmd.pid slurmctld.pid munged.pid; do
        [ -f "$scratch/$pidfile" ] || continue
        local pid
        pid=$(cat "$scratch/$pidfile")
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && { say "$pidfile: pid $pid did not stop; killing it"; kill -9 "$pid" 2>/dev/null || true; }
        say "stopped ${pidfile%.pid} (pid $pid)"
    done
    if [ $status -ne 0 ]; then
        for log in "$scratch"/*.log; do [ -f "$log" ] && { echo "--- tail of $log"; tail -n 15 "$log"; }; done
    fi
    if [ "${KEEP:-0}" = 1 ] || [ $status -ne 0 ]; then say "scratch folder kept: $scratch"; else rm -rf "$scratch"; fi
    say "$([ $status -eq 0 ] && echo PASSED || echo FAILED) in $((SECONDS - started)) s"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
    local limit=$1; shift
    local until=$((SECONDS + limit))
    while ! "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $until ] || return 1
        sleep 1
    done
}

free_port() {
    local port=$1
    while (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null; do port=$((port + 1)); done
    echo "$port"
}

# --- MUNGE: a private key and socket, so a MUNGE already on this machine is left alone -------------
mkdir -p "$scratch/munge" "$scratch/munge-key"
chmod 755 "$scratch/munge"; chmod 700 "$scratch/munge-key"
head -c 1024 /dev/urandom > "$scratch/munge-key/munge.key"
chmod 400 "$scratch/munge-key/munge.key"
munged --force --key-file="$scratch/munge-key/munge.key" --socket="$scratch/munge/munge.socket" \
       --pid-file="$scratch/munged.pid" --log-file="$scratch/munged.log" --seed-file="$scratch/munge-key/munge.seed"
wait_for 10 test -s "$scratch/munged.pid" || fail "munged wrote no pid file"
munge --socket="$scratch/munge/munge.socket" -n | unmunge --socket="$scratch/munge/munge.socket" | grep -q "STATUS: *Success" \
    || fail "munge -n | unmunge did not report Success"
say "munged running (pid $(cat "$scratch/munged.pid"))"

# --- slurm.conf: one node (this machine, all its CPUs), one partition -----------------------------
host=$(hostname -s)
cpus=$(nproc)
ctld_port=$(free_port 6917)
slurmd_port=$(free_port $((ctld_port + 1)))
mkdir -p "$scratch/state" "$scratch/spool"
export SLURM_CONF="$scratch/slurm.conf"
cat > "$SLURM_CONF" <<EOF
ClusterName=icl-zoo-test
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$scratch/munge/munge.socket,cred_expire=10
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/slurmctld.log
SlurmdLogFile=$scratch/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=600
KillWait=5
MpiDefault=none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF"
wait_for 20 test -s "$scratch/slurmctld.pid" || fail "slurmctld wrote no pid file"
slurmd -f "$SLURM_CONF"
wait_for 20 test -s "$scratch/slurmd.pid" || fail "slurmd wrote no pid file"
node_idle() { [ "$(sinfo -h -n "$host" -o %t)" = idle ]; }
wait_for 60 node_idle || fail "node $host not idle after 60 s: $(sinfo 2>&1)"
say "slurmctld (pid $(cat "$scratch/slurmctld.pid"), port $ctld_port) and slurmd (pid $(cat "$scratch/slurmd.pid")) up:"
sinfo

# Prints the state of every task of array job $1 (scontrol keeps finished jobs for MinJobAge).
array_states() { scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr '\n' ' '; }
# Waits up to $2 seconds until array job $1 has left the queue.
wait_for_array() {
    local until=$((SECONDS + $2))
    while [ -n "$(squeue -h -j "$1" 2>/dev/null)" ]; do
        [ $SECONDS -lt $until ] || { squeue -j "$1"; fail "job $1 still queued after $2 s"; }
        sleep 2
    done
}

# --- Case 1: 2 recipes x 2 seeds as one job array ------------------------------------------------
steps=300
sweep1="$scratch/sweep1"
mkdir -p "$sweep1"
cd "$sweep1"
"$zoo" sweep "$root/zoo/lsa-1.json" "$root/zoo/lsa-recurrent-2.json" --seeds 0-1 --models "$sweep1/models" \
       --manifest "$sweep1/sweep.json" -- --steps $steps > "$sweep1/sweep.sbatch"
grep '^#SBATCH' "$sweep1/sweep.sbatch"
job=$(sbatch --parsable "$sweep1/sweep.sbatch")
say "case 1: submitted array job $job (4 tasks: lsa-1, lsa-recurrent-2 x seeds 0, 1; $steps steps each)"
squeue -j "$job" || true
wait_for_array "$job" 300
states=$(array_states "$job")
say "case 1: job $job left the queue: $states"
[ "$(scontrol -o show job "$job" | grep -c 'JobState=COMPLETED')" = 4 ] || fail "not all 4 tasks COMPLETED: $states"
"$zoo" list --check "$sweep1/sweep.json" || fail "list --check reports models not finished"
"$python" - "$sweep1"/models/*/seed-*.h5 <<'EOF' || fail "h5py could not read the checkpoints"
import sys, json, h5py, numpy as np
for path in sys.argv[1:]:
    with h5py.File(path, "r") as f:
        recipe = json.loads(f.attrs["recipe"])
        loss = f["training/validation_loss"][-1]
        sizes = []
        f["model"].visititems(lambda name, d: sizes.append(d.size) if isinstance(d, h5py.Dataset) else None)
        weights = sum(sizes)
        assert np.isfinite(loss) and weights > 0, path
        print(f"h5py: {path.split('/models/')[1]}: {recipe['name']} seed {int(f['training'].attrs['seed'])}, "
              f"{int(f['training'].attrs['steps'])} steps, {weights} weights, validation loss {loss:.6f}")
EOF
n=$(ls "$sweep1"/models/*/seed-*.h5 | wc -l)
[ "$n" = 4 ] || fail "expected 4 checkpoints, found $n"
"$analyze" curves "$sweep1"/models/lsa-1/seed-*.h5 "$sweep1"/models/lsa-recurrent-2/seed-*.h5 \
    || fail "icl-analyze curves could not read the sweep"
# Emitting again skips what is finished: nothing left to submit.
if "$zoo" sweep "$root/zoo/lsa-1.json" "$root/zoo/lsa-recurrent-2.json" --seeds 0-1 --models "$sweep1/models" \
        --manifest "$sweep1/again.json" -- --steps $steps > /dev/null 2> "$sweep1/again.err"; then
    fail "a second sweep over finished models emitted a script"
fi
grep -q "nothing to submit" "$sweep1/again.err" || fail "second sweep: $(cat "$sweep1/again.err")"
say "case 1: passed (4 tasks COMPLETED, 4 checkpoints verified; a second sweep has nothing to submit)"

# --- Case 2: requeue a task mid-run; its checkpoint equals an uninterrupted run's -----------------
steps2=3000
sweep2="$scratch/sweep2"
mkdir -p "$sweep2"
cd "$sweep2"
"$zoo" sweep "$root/zoo/lsa-recurrent-2.json" --seeds 3 --models "$sweep2/models" --manifest "$sweep2/sweep.json" \
       -- --steps $steps2 --save-every 100 > "$sweep2/sweep.sbatch"
job=$(sbatch --parsable "$sweep2/sweep.sbatch")
checkpoint="$sweep2/models/lsa-recurrent-2/seed-3.h5"
state="$checkpoint.state"
say "case 2: submitted array job $job (lsa-recurrent-2 seed 3, $steps2 steps, state saved every 100 steps)"
# The uninterrupted run to compare with, outside Slurm, meanwhile.
"$zoo" train "$root/zoo/lsa-recurrent-2.json" --seed 3 --steps $steps2 --quiet --out "$sweep2/uninterrupted.h5" \
    > "$sweep2/uninterrupted.log" 2>&1 &
reference=$!
running() { [ "$(squeue -h -j "${job}_0" -o %T 2>/dev/null)" = RUNNING ]; }
wait_for 120 running || fail "task ${job}_0 did not start"
wait_for 120 test -s "$state" || fail "no saved state $state after 120 s"
[ ! -e "$checkpoint" ] || fail "the task finished before it could be requeued: raise steps2"
saved_step=$("$python" -c 'import sys, h5py; print(int(h5py.File(sys.argv[1], "r").attrs["step"]))' "$state" 2>/dev/null || echo "?")
scontrol requeue "${job}_0"
say "case 2: scontrol requeue ${job}_0 while RUNNING (state saved at step $saved_step)"
# Slurm holds a requeued job until its credentials expire (cred_expire, 10 s in this slurm.conf).
wait_for 60 bash -c "squeue -h -j ${job}_0 -o %T | grep -q PENDING" && squeue -j "$job" -o '%.12i %.9T %.20r' || true
wait_for_array "$job" 300
info=$(scontrol -o show job "${job}_0")
restarts=$(grep -o 'Restarts=[0-9]*' <<<"$info" | cut -d= -f2)
say "case 2: job $job left the queue: $(array_states "$job") Restarts=$restarts"
grep -q 'JobState=COMPLETED' <<<"$info" || fail "task ${job}_0 did not complete: $info"
[ "${restarts:-0}" -ge 1 ] || fail "task ${job}_0 was not restarted (Restarts=$restarts)"
log=$(ls "$sweep2"/models/logs/*.out)
grep -q "^resuming lsa-recurrent-2 seed 3 from step" "$log" || { cat "$log"; fail "the requeued task did not resume"; }
grep "^resuming\|^icl-zoo sweep\|^wrote" "$log"
"$zoo" list --check "$sweep2/sweep.json" || fail "list --check after the requeue"
say "case 2: waiting for the uninterrupted run (pid $reference)"
for _ in $(seq 300); do kill -0 $reference 2>/dev/null || break; sleep 1; done
kill -0 $reference 2>/dev/null && { kill $reference; fail "the uninterrupted run took over 300 s"; }
wait $reference || { cat "$sweep2/uninterrupted.log"; fail "the uninterrupted run failed"; }
cat "$sweep2/uninterrupted.log"
"$python" "$root/scripts/compare-checkpoints.py" "$checkpoint" "$sweep2/uninterrupted.h5" \
    || fail "the requeued run's checkpoint differs from the uninterrupted one"
say "case 2: passed (requeued mid-run, resumed from its saved state, checkpoint identical to the uninterrupted run)"
