#!/usr/bin/env bash
# Figure 9: W_KQ = W_Kᵀ W_Q and W_PV = P W_V of a trained 1-layer LSA, raw and scale-corrected,
# beside those of the GD construction.
SEEDS=${SEEDS:-0}
. "$(dirname "$0")/common.sh"
train_seeds zoo/lsa-1.json
gd_construction
"$BIN/icl-analyze" heatmap zoo/models/lsa-1/seed-0.h5 --png "$FIGURES/figure9-lsa-1.png"
"$BIN/icl-analyze" heatmap zoo/models/lsa-1/seed-0.h5 --scale-correct --png "$FIGURES/figure9-lsa-1-corrected.png"
"$BIN/icl-analyze" heatmap zoo/models/gd-1/construction.h5 --png "$FIGURES/figure9-gd.png"
