#!/usr/bin/env bash
# Figure 13: eigenvalues of X Xᵀ over 10,000 tasks for N = 10, 25, 50, 100, the GD++ eigenvalue
# map and the condition numbers against γ. The paper's dotted lines are the γ of trained recurrent
# 2-layer models for each N; pass such checkpoints as arguments to have their γ read and drawn
# (no recipe for them exists in zoo/ yet, so by default there are none).
. "$(dirname "$0")/common.sh"
"$BIN/icl-analyze" spectrum "$@" --context-sizes 10,25,50,100 --png "$FIGURES/figure13.png" --csv "$FIGURES/figure13.csv"
