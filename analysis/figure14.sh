#!/usr/bin/env bash
# Figure 14: LSA with LayerNorm, one and two layers, against one and two GD steps and two GD++
# steps: loss, alignment, out-of-distribution losses. Trains and constructs what
# analysis/paper-plan.tsv names for it (5 seeds each of layernorm-1 and layernorm-2,
# gdpp-recurrent-2 and the GD constructions) into zoo/models/, then draws it with `icl-analyze
# report zoo/models --only 14 --out out/figures`. ZOO and FIGURES override the folders; other
# arguments go to analysis/paper.sh (e.g. --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 14 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
