#!/usr/bin/env bash
# Figure 3 (two recurrent LSA layers against two steps of GD and of GD++): the learned GD++
# (eta, gamma), the alignment of the trained stack with it and
# with GD, the training curves and the interpolation. Trains what is missing (~1 min each in release).
. "$(dirname "$0")/common.sh"
train_seeds zoo/lsa-recurrent-2.json
SEEDS=0 train_seeds zoo/gdpp-recurrent-2.json
SEEDS=0 train_seeds zoo/gd-recurrent-2.json
GDPP=zoo/models/gdpp-recurrent-2/seed-0.h5
"$BIN/icl-zoo" show "$GDPP"
for s in $SEEDS; do
  "$BIN/icl-analyze" compare "zoo/models/lsa-recurrent-2/seed-$s.h5" "$GDPP"
done
"$BIN/icl-analyze" compare zoo/models/lsa-recurrent-2/seed-0.h5 zoo/models/gd-recurrent-2/seed-0.h5
"$BIN/icl-analyze" curves zoo/models/lsa-recurrent-2/seed-*.h5 --baseline "$GDPP" \
  --baseline zoo/models/gd-recurrent-2/seed-0.h5 --png "$FIGURES/figure3-curves.png"
"$BIN/icl-analyze" interpolate zoo/models/lsa-recurrent-2/seed-0.h5 "$GDPP" \
  --png "$FIGURES/figure3-interpolation.png"
