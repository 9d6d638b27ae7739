#!/usr/bin/env bash
# Figure 6: out-of-distribution losses (input range, teacher scale, unseen input laws) of the
# trained models, GD or GD++ and their interpolation: rows 1 layer, 2 recurrent layers, 5 layers.
# Trains and constructs what analysis/paper-plan.tsv names for it (lsa-1 and GD; lsa-recurrent-2 and
# gdpp-recurrent-2; lsa-5 and gdpp-5 (as Figures 2 and 3)) into zoo/models/, then draws it with
# `icl-analyze report zoo/models --only 6 --out out/figures`. ZOO and FIGURES override the folders;
# other arguments go to analysis/paper.sh (e.g. --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 6 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
