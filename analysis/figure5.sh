#!/usr/bin/env bash
# Figure 5: two layers on alternating tokens (softmax, then linear attention): the loss against one
# and two GD steps, and the first layer's sensitivity to its own, the next and the other tokens over
# training. Trains and constructs what analysis/paper-plan.tsv names for it (5 seeds of
# alternating-2 (~4 min each) and the Proposition 3 copy construction) into zoo/models/, then draws
# it with `icl-analyze report zoo/models --only 5 --out out/figures`. ZOO and FIGURES override the
# folders; other arguments go to analysis/paper.sh (e.g. --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 5 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
