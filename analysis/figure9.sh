#!/usr/bin/env bash
# Figure 9: weight products W_KQ and W_PV of a trained LSA layer and of one applied three times, raw
# and scale-corrected, beside the GD construction. Trains and constructs what
# analysis/paper-plan.tsv names for it (lsa-1, 5 seeds of lsa-recurrent-3 (seconds each) and the GD
# construction) into zoo/models/, then draws it with `icl-analyze report zoo/models --only 9 --out
# out/figures`. ZOO and FIGURES override the folders; other arguments go to analysis/paper.sh (e.g.
# --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 9 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
