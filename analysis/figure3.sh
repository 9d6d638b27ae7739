#!/usr/bin/env bash
# Figure 3: (a) one LSA layer applied twice against two steps of GD and of GD++ (trained eta,
# gamma); (b) five separate LSA layers against five fitted steps of GD and GD++. Trains and
# constructs what analysis/paper-plan.tsv names for it (5 seeds of lsa-recurrent-2,
# gdpp-recurrent-2, gd-recurrent-2 (seconds each); lsa-5 (8-28 min), gdpp-5 and gd-5 (continuation
# fits, minutes)) into zoo/models/, then draws it with `icl-analyze report zoo/models --only 3 --out
# out/figures`. ZOO and FIGURES override the folders; other arguments go to analysis/paper.sh (e.g.
# --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 3 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
