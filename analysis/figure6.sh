#!/usr/bin/env bash
# Figure 6, row (a): the trained 1-layer LSA, GD and their interpolation on the four shifted task
# distributions (input range, teacher scale, unseen input laws scaled in norm, and those laws with a
# scaled teacher). Rows (b) and (c) need the 2-layer recurrent and 5-layer models and GD++, which
# have no recipes here yet.
SEEDS=${SEEDS:-0}
. "$(dirname "$0")/common.sh"
train_seeds zoo/lsa-1.json
gd_construction
for shift in input-range teacher laws laws-teacher; do
  "$BIN/icl-analyze" ood zoo/models/lsa-1/seed-0.h5 zoo/models/gd-1/construction.h5 --interpolated \
    --shift "$shift" --png "$FIGURES/figure6a-$shift.png" --csv "$FIGURES/figure6a-$shift.csv"
done
