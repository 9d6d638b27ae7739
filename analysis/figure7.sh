#!/usr/bin/env bash
# Figure 7: one LSA layer applied ten times against ten steps of GD and of GD++ sharing one eta (and
# gamma). Trains and constructs what analysis/paper-plan.tsv names for it (5 seeds of
# lsa-recurrent-10 (1.5-10 min each), gdpp-recurrent-10 and gd-recurrent-10 (continuation fits,
# minutes)) into zoo/models/, then draws it with `icl-analyze report zoo/models --only 7 --out
# out/figures`. ZOO and FIGURES override the folders; other arguments go to analysis/paper.sh (e.g.
# --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 7 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
