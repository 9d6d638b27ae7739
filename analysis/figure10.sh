#!/usr/bin/env bash
# Figures 1 (right) and 10: the trained 1-layer LSA and the GD construction applied 50 times with
# the target update damped by λ (y ← y + λΔy); λ = 0.75 is Figure 1's.
SEEDS=${SEEDS:-0}
. "$(dirname "$0")/common.sh"
train_seeds zoo/lsa-1.json
gd_construction
# All λ on one figure, as the paper's Figure 10.
"$BIN/icl-analyze" rollout zoo/models/lsa-1/seed-0.h5 zoo/models/gd-1/construction.h5 --steps 50 --lambda 1,0.9,0.75,0.5 \
  --png "$FIGURES/figure10-rollout.png" --svg "$FIGURES/figure10-rollout.svg" --csv "$FIGURES/figure10-rollout.csv"
