#!/usr/bin/env bash
# Figure 13: GD++ analyses: the eigenvalues of X X^T for N = 10, 25, 50, 100, their GD++ map, the
# condition numbers against gamma with the learned gammas. Trains and constructs what
# analysis/paper-plan.tsv names for it (5 seeds each of gdpp-recurrent-2 and
# gdpp-recurrent-2-n{25,50,100} (seconds each)) into zoo/models/, then draws it with `icl-analyze
# report zoo/models --only 13 --out out/figures`. ZOO and FIGURES override the folders; other
# arguments go to analysis/paper.sh (e.g. --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 13 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
