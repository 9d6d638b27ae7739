#!/usr/bin/env bash
# Figure 12: one softmax layer with one and two heads against one GD step: loss, alignment,
# out-of-distribution losses (and softmax then linear attention, Appendix A.9). Trains and
# constructs what analysis/paper-plan.tsv names for it (5 seeds each of softmax-1, softmax-2head,
# softmax-linear-2 (under a minute each) and the GD construction) into zoo/models/, then draws it
# with `icl-analyze report zoo/models --only 12 --out out/figures`. ZOO and FIGURES override the
# folders; other arguments go to analysis/paper.sh (e.g. --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 12 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
