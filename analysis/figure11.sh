#!/usr/bin/env bash
# Figure 11: the two heads of a trained softmax layer: each head's W_KQ scaled by its P W_V entry,
# and their sum. Trains and constructs what analysis/paper-plan.tsv names for it (softmax-2head)
# into zoo/models/, then draws it with `icl-analyze report zoo/models --only 11 --out out/figures`.
# ZOO and FIGURES override the folders; other arguments go to analysis/paper.sh (e.g. --quick,
# --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 11 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
