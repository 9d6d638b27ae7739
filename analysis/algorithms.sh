#!/usr/bin/env bash
# Which algorithm does a trained model run? (beyond the paper: Akyürek et al. 2022, Garg et al. 2022,
# Fu et al. 2023). Loss against the number of in-context examples for the linear models beside least
# squares, GD, GD++ and Newton; the fingerprint of each model; noisy tasks against GD with a
# line-searched η (one layer: GD on the ridge objective is plain GD for one step) and the
# Bayes-optimal ridge λ = σ². Trains what is missing, one seed (lsa-5 and its noisy twin take
# 10+ minutes each in release; set DEEP=0 to leave them out). lsa-recurrent-10 and mlp-12-4head are
# used when present.
. "$(dirname "$0")/common.sh"
SEEDS=0
DEEP=${DEEP:-1}
TASKS=${TASKS:-2000}
recipes="lsa-1 lsa-recurrent-2 gdpp-recurrent-2 lsa-1-noise-0.5 lsa-1-noise-1"
[ "$DEEP" = 1 ] && recipes="$recipes lsa-5 lsa-5-noise-0.5"
for r in $recipes; do train_seeds "zoo/$r.json"; done
models="zoo/models/lsa-1/seed-0.h5 zoo/models/lsa-recurrent-2/seed-0.h5"
[ "$DEEP" = 1 ] && models="$models zoo/models/lsa-5/seed-0.h5"
for r in lsa-recurrent-10 mlp-12-4head; do
  if [ -f "zoo/models/$r/seed-0.h5" ]; then models="$models zoo/models/$r/seed-0.h5"; fi
done

# shellcheck disable=SC2086  # $models is a list of paths
"$BIN/icl-analyze" context-length $models --against ols --against gd:1 --against gd:5 \
  --against gdpp:zoo/models/gdpp-recurrent-2/seed-0.h5 --against newton:3 --tasks "$TASKS" --y-min 1e-3 \
  --png "$FIGURES/context-length.png" --csv "$FIGURES/context-length.csv"
for m in $models; do
  "$BIN/icl-analyze" fingerprint "$m" --against gdpp:zoo/models/gdpp-recurrent-2/seed-0.h5 \
    --csv "$FIGURES/fingerprint-$(basename "$(dirname "$m")").csv"
done
[ "$DEEP" = 1 ] && "$BIN/icl-analyze" fingerprint zoo/models/lsa-5/seed-0.h5 --max-steps 20 --png "$FIGURES/fingerprint-lsa-5.png"

for s in 0.5 1; do
  m=zoo/models/lsa-1-noise-$s/seed-0.h5
  "$BIN/icl-analyze" compare "$m" --against gd:1
  "$BIN/icl-analyze" compare "$m" --against "ridge:$(awk "BEGIN { print $s * $s }")"
  "$BIN/icl-analyze" compare "$m" --against ridge
done
"$BIN/icl-analyze" curves zoo/models/lsa-1-noise-0.5/seed-0.h5 --baseline gd:1 --baseline ridge:0.25 \
  --png "$FIGURES/noisy-lsa-1-curves.png"
if [ "$DEEP" = 1 ]; then
  m=zoo/models/lsa-5-noise-0.5/seed-0.h5
  for b in gd:5 gd:5:0.25 ridge:0.25; do "$BIN/icl-analyze" compare "$m" --against "$b"; done
  "$BIN/icl-analyze" fingerprint "$m"
fi
