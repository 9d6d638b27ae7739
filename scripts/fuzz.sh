#!/bin/bash
# `make fuzz`: builds a seeded corpus of damaged and hostile checkpoints (scripts/fuzz-corpus.py) from
# good ones trained and constructed here, and runs every input through `icl-zoo show`, every input
# the loader accepts also through `icl-analyze compare` and `interpolate`, and the whole corpus
# through `icl-zoo list`, each with a time limit. Counts crashes (a signal, or a crash report on
# stderr), hangs (the time limit), refusals (exit 1 with exactly one `Error:` line), acceptances, and
# anything else (a refusal that is not one clean line); lists the distinct error messages. Exits
# non-zero unless crashes, hangs and unclean refusals are all 0.
#
#   scripts/fuzz.sh      (COUNT=2500 SEED=1 TIMEOUT=20 BIN=.build/release)
set -uo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-2500}
SEED=${SEED:-1}
TIMEOUT=${TIMEOUT:-20}
BIN=${BIN:-.build/release}
PY=${PY:-.venv/bin/python}
[ -x "$BIN/icl-zoo" ] || { echo "fuzz: $BIN/icl-zoo missing (make build)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/good"

# Good inputs: a transformer with LayerNorm, an MLP, two heads and snapshots (every dataset kind of
# /model and /snapshots), a GD++ model, a construction with a line search; format version 2.
cat > "$work/good/transformer.json" <<'JSON'
{"name": "fuzz-transformer", "model": {"architecture": "transformer", "layers": 2, "heads": 2, "mlp_hidden": 4,
 "layer_norm": true, "embedding_dim": 5}, "task": {"input_dim": 2, "context_size": 3},
 "training": {"seed": 1, "steps": 6, "batch_size": 8, "eval_every": 3, "validation_tasks": 20, "snapshot_every": 3}}
JSON
cat > "$work/good/gdpp.json" <<'JSON'
{"name": "fuzz-gdpp", "model": {"architecture": "gdpp", "layers": 2, "recurrent": true}, "task": {"input_dim": 2, "context_size": 3},
 "training": {"seed": 2, "steps": 4, "batch_size": 8, "eval_every": 2, "validation_tasks": 20}}
JSON
"$BIN/icl-zoo" train "$work/good/transformer.json" --out "$work/good/transformer.h5" --quiet >/dev/null 2>&1 &&
"$BIN/icl-zoo" train "$work/good/gdpp.json" --out "$work/good/gdpp.h5" --quiet >/dev/null 2>&1 &&
"$BIN/icl-zoo" construct gd --layers 2 --tasks 50 --recipe zoo/lsa-1.json --out "$work/good/construction.h5" >/dev/null ||
  { echo "fuzz: cannot make the good inputs" >&2; exit 2; }
"$PY" scripts/fuzz-corpus.py "$SEED" "$COUNT" "$work/corpus" "$work"/good/*.h5 || exit 2

crashed=0; hung=0; refused=0; accepted=0; unclean=0; runs=0
: > "$work/messages"; : > "$work/accepted"
# One run: classifies by exit status and stderr; $1 names the input in reports.
check() {
  local input=$1; shift
  runs=$((runs + 1))
  timeout -s KILL "$TIMEOUT" "$@" >"$work/out" 2>"$work/err"
  local status=$?
  if [ $status -eq 137 ]; then
    hung=$((hung + 1)); echo "HANG: $input: $*"
  elif [ $status -gt 128 ] || grep -q -e "Fatal error" -e "Program crashed" -e "HDF5-DIAG" -e "Backtracing" "$work/err"; then
    crashed=$((crashed + 1)); echo "CRASH ($status): $input: $*"; head -3 "$work/err"
  elif [ $status -eq 0 ]; then
    accepted=$((accepted + 1)); return 0
  elif [ $status -eq 1 ] && [ "$(wc -l < "$work/err")" -eq 1 ] && grep -q '^Error: ' "$work/err"; then
    refused=$((refused + 1))
    # The message without the input's path, numbers as N: the distinct kinds of refusal.
    sed -e "s|$work/corpus/[^ :]*\.h5|FILE|g" -e 's/[0-9][0-9.e+-]*/N/g' "$work/err" >> "$work/messages"
  else
    unclean=$((unclean + 1)); echo "UNCLEAN ($status): $input: $*"; head -3 "$work/err"
  fi
  return 1
}

while IFS=$'\t' read -r name kind description; do
  input="$work/corpus/$name"
  if check "$name ($description)" "$BIN/icl-zoo" show "$input"; then
    echo "$kind" >> "$work/accepted"
    check "$name" "$BIN/icl-analyze" compare "$input" "$input" --tasks 20 --json || true
    check "$name" "$BIN/icl-analyze" interpolate "$input" "$input" --tasks 20 || true
  fi
done < "$work/corpus/corpus.tsv"

# The whole corpus in one listing: every input a row, the exit status 1 (some files are bad).
timeout -s KILL $((TIMEOUT * 30)) "$BIN/icl-zoo" list "$work/corpus" > "$work/list" 2>"$work/list-err"
list_status=$?
rows=$(($(wc -l < "$work/list") - 1))
inputs=$(wc -l < "$work/corpus/corpus.tsv")
echo "list over the corpus: exit $list_status, $rows rows for $inputs inputs ($(grep -c unreadable "$work/list") unreadable), stderr $(wc -l < "$work/list-err") lines"
[ $list_status -eq 1 ] || { echo "fuzz: list exited $list_status"; crashed=$((crashed + 1)); }

distinct=$(sort -u "$work/messages" | wc -l)
# Coarser: the object inside the file as PATH too (the same refusal for another dataset).
kinds=$(sed -e 's|FILE: /[^:]*:|FILE: PATH:|' "$work/messages" | sort -u | wc -l)
echo "inputs: $inputs ($(cut -f2 "$work/corpus/corpus.tsv" | sort -u | wc -l) kinds); runs: $runs (show, and compare + interpolate on accepted inputs)"
echo "crashes: $crashed  hangs: $hung  refusals: $refused  accepted: $accepted  unclean refusals: $unclean  distinct error messages: $distinct ($kinds when the object inside the file is not told apart)"
echo "inputs show accepted, by kind (edits that change nothing checked: unused bytes, free-text attributes): $(sort "$work/accepted" | uniq -c | sort -rn | awk '{printf "%s %s, ", $2, $1}')"
echo "distinct error messages (file path as FILE, numbers as N), by count:"
sort "$work/messages" | uniq -c | sort -rn | sed 's/^/  /'
[ $crashed -eq 0 ] && [ $hung -eq 0 ] && [ $unclean -eq 0 ]
