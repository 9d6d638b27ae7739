#!/usr/bin/env bash
# Figure 2 (one trained LSA layer against one step of GD): training curves with the GD loss,
# the alignment measures per seed, the interpolation between the scale-corrected products, and the
# out-of-distribution losses (input range and teacher scale) with the interpolated model.
# Run from the package root. Trains the missing seeds of zoo/lsa-1.json (~20 s each in release).
. "$(dirname "$0")/common.sh"
train_seeds zoo/lsa-1.json
gd_construction
GD=zoo/models/gd-1/construction.h5
SEED0=zoo/models/lsa-1/seed-0.h5

"$BIN/icl-analyze" curves zoo/models/lsa-1/seed-*.h5 --baseline "$GD" --png "$FIGURES/figure2-curves.png"
for s in $SEEDS; do
  "$BIN/icl-analyze" compare "zoo/models/lsa-1/seed-$s.h5" "$GD"
done
"$BIN/icl-analyze" interpolate "$SEED0" "$GD" --png "$FIGURES/figure2-interpolation.png" --csv "$FIGURES/figure2-interpolation.csv"
"$BIN/icl-analyze" ood "$SEED0" "$GD" --interpolated --shift input-range --png "$FIGURES/figure2-ood-inputs.png"
"$BIN/icl-analyze" ood "$SEED0" "$GD" --interpolated --shift teacher --png "$FIGURES/figure2-ood-teacher.png"
