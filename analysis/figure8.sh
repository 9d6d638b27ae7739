#!/usr/bin/env bash
# Figure 8 (twelve blocks of 4-head LSA and MLP against twelve GD++ steps with their own eta and
# gamma): compare, curves with the baseline, OOD. mlp-12-4head takes about an hour a seed in
# release; gdpp-12 is fitted by continuation in minutes.
. "$(dirname "$0")/common.sh"
SEEDS=0 train_seeds zoo/mlp-12-4head.json
SEEDS=0 train_seeds zoo/gdpp-12.json
GDPP=zoo/models/gdpp-12/seed-0.h5
"$BIN/icl-zoo" show "$GDPP"
"$BIN/icl-analyze" compare zoo/models/mlp-12-4head/seed-0.h5 "$GDPP"
"$BIN/icl-analyze" curves zoo/models/mlp-12-4head/seed-*.h5 --baseline "$GDPP" --png "$FIGURES/figure8-curves.png"
"$BIN/icl-analyze" ood zoo/models/mlp-12-4head/seed-0.h5 "$GDPP" --shift input-range --png "$FIGURES/figure8-ood-input.png"
"$BIN/icl-analyze" ood zoo/models/mlp-12-4head/seed-0.h5 "$GDPP" --shift teacher --png "$FIGURES/figure8-ood-teacher.png"
