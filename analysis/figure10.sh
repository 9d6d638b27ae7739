#!/usr/bin/env bash
# Figure 10: one trained LSA layer and the GD construction applied 50 times with the target update
# damped by lambda (Figure 1 right is lambda = 0.75). Trains and constructs what
# analysis/paper-plan.tsv names for it (lsa-1 and the GD construction) into zoo/models/, then draws
# it with `icl-analyze report zoo/models --only 10 --out out/figures`. ZOO and FIGURES override the
# folders; other arguments go to analysis/paper.sh (e.g. --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 10 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
