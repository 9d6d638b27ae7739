#!/usr/bin/env bash
# The paper's figures from one command: trains and constructs what the plan (analysis/paper-plan.tsv)
# names for the figures asked for, then writes the report with `icl-analyze report`.
#
#   analysis/paper.sh                 make paper: every figure, all seeds -> out/paper/
#   analysis/paper.sh --quick         make paper-quick: seed 0, shortened recipes -> out/paper-quick/
#   analysis/paper.sh --only 2,15     those figures (analysis/figureN.sh: --zoo zoo/models --out out/figures)
#
# Options: --zoo DIR (checkpoints; default OUT/zoo), --out DIR, --plan FILE, --dry-run (print the
# commands). Environment: BIN (default .build/release), PAPER_MAX_HOURS (default 6: training longer
# than this is stopped with its state saved; rerun to continue).
#
# Checkpoints whose recipe and seed match are reused and unfinished runs resumed (`icl-zoo train
# --resume`); models train two at a time. The terminal shows one progress line; each model's log is
# OUT/logs/RECIPE-seed-S.log, everything else OUT/logs/train.log. OUT/RUN.md records the wall time,
# date, machine and software version. Run from anywhere: paths are relative to the package root.
set -euo pipefail
cd "$(dirname "$0")/.."
command="analysis/paper.sh${*:+ $*}"

quick=0 only="" zoo="" out="" plan=analysis/paper-plan.tsv dry=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --only) only=${2:?--only needs figure numbers, e.g. 2,15}; shift ;;
    --zoo) zoo=${2:?--zoo needs a folder}; shift ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    --plan) plan=${2:?--plan needs a file}; shift ;;
    --dry-run) dry=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "Error: unknown argument '$1' (see analysis/paper.sh --help)" >&2; exit 64 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then out=${out:-out/paper-quick}; else out=${out:-out/paper}; fi
zoo=${zoo:-$out/zoo}
BIN=${BIN:-.build/release}
logs=$out/logs
max_seconds=$(awk -v h="${PAPER_MAX_HOURS:-6}" 'BEGIN { printf "%d", h * 3600 }')

jobs=$(awk -v only="$only" -v quick="$quick" -f analysis/paper-plan.awk "$plan")

run() {   # prints the command in a dry run, runs it otherwise
  if [ "$dry" = 1 ]; then echo "$*"; else "$@"; fi
}

if [ "$dry" = 0 ]; then
  for tool in icl-zoo icl-analyze; do
    [ -x "$BIN/$tool" ] || { echo "Error: $BIN/$tool is missing: run 'swift build -c release' (or set BIN)" >&2; exit 1; }
  done
  has_report=0   # `icl-analyze report` (issue 15) may not exist yet: look for it in the help
  if "$BIN/icl-analyze" --help | grep -E '^  report( |$)' >/dev/null; then has_report=1; fi
  [ "$has_report" = 1 ] || echo "note: $BIN/icl-analyze has no 'report' subcommand yet: the models are made, the report step will fail" >&2
  mkdir -p "$zoo" "$logs"
  rm -f "$logs"/*.log
fi
started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# Constructions first (seconds each; an error shows before hours of training).
while read -r kind name args; do
  [ "$kind" = construct ] || continue
  target=$zoo/$name/construction.h5
  [ -f "$target" ] && continue
  # shellcheck disable=SC2086  # args is a list of words from the plan
  if [ "$dry" = 1 ]; then run "$BIN/icl-zoo" construct $args --out "$target"
  elif ! "$BIN/icl-zoo" construct $args --out "$target" >"$logs/construct-$name.log" 2>&1; then
    echo "Error: icl-zoo construct $args failed; see $logs/construct-$name.log:" >&2
    tail -n 5 "$logs/construct-$name.log" >&2
    exit 1
  fi
done <<<"$jobs"

# The models, one line each (for the progress line), and the training groups: recipes with the
# same seeds and shortening go to one `icl-zoo train` (two models at a time), dearest first.
table=$logs/models.txt
table_out=$table
[ "$dry" = 1 ] && table_out=/dev/null
declare -A group_recipes group_cost
while read -r kind recipe seeds short cost; do
  [ "$kind" = train ] || continue
  key="$seeds $short"
  group_recipes[$key]="${group_recipes[$key]:-} $cost:$recipe"
  n=0
  for s in ${seeds//,/ }; do
    n=$((n + 1))
    [ "$dry" = 1 ] && continue
    ckpt=$zoo/$recipe/seed-$s.h5
    echo "$recipe $s $cost $ckpt $logs/$recipe-seed-$s.log $([ -f "$ckpt" ] && echo 1 || echo 0)"
  done
  group_cost[$key]=$(awk -v a="${group_cost[$key]:-0}" -v c="$cost" -v n="$n" 'BEGIN { print a + c * n }')
done <<<"$jobs" >"$table_out"

progress() {
  awk -v elapsed=$(($(date +%s) - started)) -f analysis/paper-progress.awk "$table"
}

# Routes icl-zoo's output: progress, resume and "wrote"/"skipped" lines to the model's log, the rest
# (errors) to train.log.
# mawk (Debian's awk) reads a pipe in blocks, so progress lines would reach the logs minutes late
# (or only at the end); -W interactive makes it take each line as it arrives.
line_awk=(awk)
if awk -W version 2>/dev/null | grep -q mawk; then line_awk=(awk -W interactive); fi
split_output() {
  "${line_awk[@]}" -v logs="$logs" '
    function to(file) { print >> file; close(file) }
    $1 == "resuming" { to(logs "/" $2 "-seed-" $4 ".log"); next }
    $2 == "seed" && $4 == "step" { to(logs "/" $1 "-seed-" $3 ".log"); next }
    ($1 == "wrote" || $1 == "skipped") && match($2, /[^\/]+\/seed-[0-9]+\.h5/) {
      path = substr($2, RSTART, RLENGTH); sub(/\/seed-/, "-seed-", path); sub(/\.h5$/, ".log", path)
      to(logs "/" path)
    }
    { to(logs "/train.log") }'
}

trainer=""
stop_trainer() {
  if [ -n "$trainer" ] && kill -0 "$trainer" 2>/dev/null; then
    kill -TERM "$trainer" 2>/dev/null || true
    for _ in $(seq 120); do kill -0 "$trainer" 2>/dev/null || break; sleep 0.5; done
  fi
}
trap 'stop_trainer; echo; echo "stopped: the running models saved their state; rerun to continue" >&2; exit 130' INT TERM

tty=0 last=0   # last: when the progress line was last printed (not on a terminal: once a minute)
[ -t 2 ] && tty=1
train_group() {   # seeds, shortening, recipes (dearest first)
  local seeds=$1 short=$2; shift 2
  local options=(--seeds "$seeds" --models "$zoo" --resume --quiet)
  if [ "$short" != - ]; then
    options+=(--steps "${short%%/*}")
    [[ $short == */* ]] && options+=(--batch-size "${short#*/}")
  fi
  if [ "$dry" = 1 ]; then run "$BIN/icl-zoo" train "$@" "${options[@]}"; return; fi
  # icl-zoo writes into a named pipe that split_output reads; the pipe stays until both have finished
  # (removing it earlier can leave the reader waiting for a writer that never opens it).
  local fifo
  fifo=$(mktemp -d "$logs/.pipe.XXXXXX")/output
  mkfifo "$fifo"
  split_output <"$fifo" &
  local splitter=$!
  "$BIN/icl-zoo" train "$@" "${options[@]}" >"$fifo" 2>&1 &
  trainer=$!
  local status=0
  while kill -0 "$trainer" 2>/dev/null; do
    if [ $(($(date +%s) - started)) -gt "$max_seconds" ]; then
      stop_trainer
      echo; echo "Error: training ran past PAPER_MAX_HOURS=${PAPER_MAX_HOURS:-6}; the models saved their state, rerun to continue" >&2
      exit 1
    fi
    if [ "$tty" = 1 ]; then printf '\r\033[K%s' "$(progress)" >&2
    elif [ $(($(date +%s) - last)) -ge 60 ]; then echo "$(progress)" >&2; last=$(date +%s)
    fi
    sleep 2
  done
  wait "$trainer" || status=$?
  trainer=""
  for _ in $(seq 20); do kill -0 "$splitter" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$splitter" 2>/dev/null || true   # only if it has not seen the end of the output in 10 s
  wait "$splitter" 2>/dev/null || true
  rm -r "$(dirname "$fifo")"
  if [ "$status" != 0 ]; then
    if [ "$tty" = 1 ]; then echo >&2; fi
    echo "Error: icl-zoo train exited with $status; from $logs/train.log:" >&2
    grep -h '^Error' "$logs/train.log" >&2 || tail -n 5 "$logs/train.log" >&2
    exit 1
  fi
}

for key in $(for k in "${!group_cost[@]}"; do echo "${group_cost[$k]} ${k// /|}"; done | sort -gr | cut -d' ' -f2); do
  key=${key//|/ }
  recipes=$(tr ' ' '\n' <<<"${group_recipes[$key]}" | grep . | sort -t: -k1,1gr | cut -d: -f2)
  # shellcheck disable=SC2086  # one word per recipe
  train_group ${key% *} ${key#* } $recipes
done
trained=$(($(date +%s) - started))
if [ "$dry" = 0 ]; then
  line=$(progress)
  if [ "$tty" = 1 ]; then printf '\r\033[K%s\n' "$line" >&2; else echo "$line" >&2; fi
fi

# OUT/RUN.md, which the report links as "how this was made": written when training ends and again
# when the report is done (or has failed).
hms() { printf '%d:%02d:%02d' $(($1 / 3600)) $(($1 % 3600 / 60)) $(($1 % 60)); }
write_run() {   # what became of the report
  local now models reused
  now=$(date +%s)
  models=$(wc -l <"$table")
  reused=$(awk '$6 == 1' "$table" | wc -l)
  {
    echo "# How this report was made"
    echo
    echo "| | |"
    echo "|---|---|"
    echo "| command | \`$command\` |"
    echo "| date | $(date -u -d "@$started" '+%Y-%m-%d %H:%M') to $(date -u -d "@$now" '+%H:%M') UTC |"
    echo "| wall time | $(hms $((now - started))): constructions and training $(hms "$trained"), report $(hms $((now - started - trained))) |"
    echo "| models | $models in the plan: $((models - reused)) trained in this run, $reused reused from earlier runs |"
    echo "| machine | $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end |"
    echo "| software | icl-zoo $("$BIN/icl-zoo" --version) (the commit its binary was built from) |"
    if [ "$quick" = 1 ]; then
      echo "| shortened | seed 0 of every recipe, with the steps of the quick column of analysis/paper-plan.tsv (the checkpoints record them) |"
    fi
    echo "| report | $1 |"
  } >"$out/RUN.md"
}

report=(report "$zoo" --out "$out")
[ -n "$only" ] && report+=(--only "$only")
if [ "$dry" = 1 ]; then run "$BIN/icl-analyze" "${report[@]}"; exit 0; fi
if [ "$has_report" = 0 ]; then
  write_run "not made: this icl-analyze has no report subcommand"
  echo "Error: $BIN/icl-analyze has no 'report' subcommand (issue 15): the models are in $zoo; run 'icl-analyze report $zoo --out $out' once it exists" >&2
  exit 1
fi
write_run "being written"
if ! "$BIN/icl-analyze" "${report[@]}"; then
  write_run "failed: \`icl-analyze ${report[*]}\`"
  echo "Error: icl-analyze ${report[*]} failed" >&2
  exit 1
fi
write_run "\`icl-analyze ${report[*]}\`"
echo "wrote $out/RUN.md; the report is in $out (total $(hms $(($(date +%s) - started))))" >&2
