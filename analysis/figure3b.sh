#!/usr/bin/env bash
# Figure 3 (b) (five separate LSA layers against five steps of GD and of GD++, each step with its
# own eta and gamma): the fitted GD++ and GD, the alignment of the trained stack with both, its
# curves, out-of-distribution losses and the layer-by-layer interpolation. Trains what is missing
# (lsa-5: ~8 min a seed in release; gdpp-5 and gd-5: fitted by continuation, a few minutes).
. "$(dirname "$0")/common.sh"
SEEDS=0 train_seeds zoo/lsa-5.json
SEEDS=0 train_seeds zoo/gdpp-5.json
SEEDS=0 train_seeds zoo/gd-5.json
GDPP=zoo/models/gdpp-5/seed-0.h5 GD=zoo/models/gd-5/seed-0.h5
"$BIN/icl-zoo" show "$GDPP"
"$BIN/icl-zoo" show "$GD"
"$BIN/icl-analyze" compare zoo/models/lsa-5/seed-0.h5 "$GDPP"
"$BIN/icl-analyze" compare zoo/models/lsa-5/seed-0.h5 "$GD"
"$BIN/icl-analyze" curves zoo/models/lsa-5/seed-*.h5 --baseline "$GDPP" --baseline "$GD" --png "$FIGURES/figure3b-curves.png"
"$BIN/icl-analyze" ood zoo/models/lsa-5/seed-0.h5 "$GDPP" "$GD" --shift input-range --png "$FIGURES/figure3b-ood-input.png"
"$BIN/icl-analyze" ood zoo/models/lsa-5/seed-0.h5 "$GDPP" "$GD" --shift teacher --png "$FIGURES/figure3b-ood-teacher.png"
"$BIN/icl-analyze" interpolate zoo/models/lsa-5/seed-0.h5 "$GDPP" --png "$FIGURES/figure3b-interpolation.png"
