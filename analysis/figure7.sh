#!/usr/bin/env bash
# Figure 7 (one LSA layer applied ten times against ten steps of GD and of GD++ sharing one eta
# and gamma): compare per seed, curves with both baselines, alignment over training (needs
# snapshots: train with a copy of the recipe that sets "snapshot_every"), OOD, interpolation.
. "$(dirname "$0")/common.sh"
train_seeds zoo/lsa-recurrent-10.json
SEEDS=0 train_seeds zoo/gdpp-recurrent-10.json
SEEDS=0 train_seeds zoo/gd-recurrent-10.json
GDPP=zoo/models/gdpp-recurrent-10/seed-0.h5 GD=zoo/models/gd-recurrent-10/seed-0.h5
"$BIN/icl-zoo" show "$GDPP"
for s in $SEEDS; do
  "$BIN/icl-analyze" compare "zoo/models/lsa-recurrent-10/seed-$s.h5" "$GDPP"
  "$BIN/icl-analyze" compare "zoo/models/lsa-recurrent-10/seed-$s.h5" "$GD"
done
"$BIN/icl-analyze" curves zoo/models/lsa-recurrent-10/seed-*.h5 --baseline "$GDPP" --baseline "$GD" \
  --png "$FIGURES/figure7-curves.png"
"$BIN/icl-analyze" ood zoo/models/lsa-recurrent-10/seed-0.h5 "$GDPP" "$GD" --shift input-range --png "$FIGURES/figure7-ood-input.png"
"$BIN/icl-analyze" ood zoo/models/lsa-recurrent-10/seed-0.h5 "$GDPP" "$GD" --shift teacher --png "$FIGURES/figure7-ood-teacher.png"
"$BIN/icl-analyze" interpolate zoo/models/lsa-recurrent-10/seed-0.h5 "$GDPP" --png "$FIGURES/figure7-interpolation.png"
