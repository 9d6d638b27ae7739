#!/usr/bin/env bash
# Figure 4: sine-wave regression: embedding, MLP and one LSA layer against the same embedding and
# MLP meta-learned through one GD step. Trains and constructs what analysis/paper-plan.tsv names for
# it (5 seeds each of sine-mlp-lsa and sine-mlp-gd (~5 min each)) into zoo/models/, then draws it
# with `icl-analyze report zoo/models --only 4 --out out/figures`. ZOO and FIGURES override the
# folders; other arguments go to analysis/paper.sh (e.g. --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 4 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
