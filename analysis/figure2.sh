#!/usr/bin/env bash
# Figure 2: one trained LSA layer against one step of GD: loss over 5 seeds, the three alignment
# measures over training, GD, trained and interpolated losses against N = N_x, out-of-distribution
# losses. Trains and constructs what analysis/paper-plan.tsv names for it (5 seeds of lsa-1 and of
# lsa-1-n5, lsa-1-n15, lsa-1-n20 (~3-25 s each), and the GD construction) into
# zoo/models/, then draws it with `icl-analyze report zoo/models --only 2 --out out/figures`. ZOO
# and FIGURES override the folders; other arguments go to analysis/paper.sh (e.g. --quick,
# --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 2 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
