# Shared by the figure recipes: where the binaries and outputs live, and a check that the
# binaries exist. Source it from the package root: `. analysis/common.sh`.
set -euo pipefail
BIN=${BIN:-.build/release}
FIGURES=${FIGURES:-out/figures}
SEEDS=${SEEDS:-"0 1 2 3 4"}
for tool in icl-zoo icl-analyze; do
  if [ ! -x "$BIN/$tool" ]; then
    echo "$BIN/$tool is missing: run 'swift build -c release' (or set BIN)" >&2
    exit 1
  fi
done
mkdir -p "$FIGURES"

# Trains zoo/models/<recipe>/seed-<s>.h5 for every seed in $SEEDS unless it exists.
train_seeds() {
  local recipe=$1 name
  name=$(basename "$recipe" .json)
  for s in $SEEDS; do
    [ -f "zoo/models/$name/seed-$s.h5" ] || "$BIN/icl-zoo" train "$recipe" --seed "$s" --quiet
  done
}

# The 1-step GD construction with a line-searched η, unless it exists.
gd_construction() {
  [ -f zoo/models/gd-1/construction.h5 ] || "$BIN/icl-zoo" construct gd --layers 1
}
