#!/usr/bin/env bash
# Figure 5 (two layers on alternating tokens, the first softmax): the loss against one step of
# GD, and the first layer's sensitivity to its own, its next and the other input tokens over the
# training snapshots. Trains the model if missing (10,000 steps).
. "$(dirname "$0")/common.sh"
SEEDS=${SEEDS%% *} train_seeds zoo/alternating-2.json
MODEL=zoo/models/alternating-2/seed-${SEEDS%% *}.h5
"$BIN/icl-analyze" compare "$MODEL" --against gd --gd-steps 1
"$BIN/icl-analyze" compare "$MODEL" --against gd --gd-steps 2
"$BIN/icl-analyze" copying "$MODEL" --tasks 500 --png "$FIGURES/figure5-copying.png" --csv "$FIGURES/figure5-copying.csv"
