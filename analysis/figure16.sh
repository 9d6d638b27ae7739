#!/usr/bin/env bash
# Figure 16: one LSA layer trained on a fixed set of B = 128, 512, 2048, 8192 tasks against one GD
# step: loss, alignment, interpolation, out-of-distribution losses. Trains and constructs what
# analysis/paper-plan.tsv names for it (5 seeds each of lsa-1-fixed-{128,512,2048,8192} (seconds
# each) and the GD construction) into zoo/models/, then draws it with `icl-analyze report zoo/models
# --only 16 --out out/figures`. ZOO and FIGURES override the folders; other arguments go to
# analysis/paper.sh (e.g. --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 16 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
