#!/usr/bin/env bash
# Figure 8: twelve blocks of 4-head LSA and MLP against twelve GD++ steps with their own eta and
# gamma. Trains and constructs what analysis/paper-plan.tsv names for it (mlp-12-4head (about an
# hour) and gdpp-12 (a continuation fit, up to 40 min)) into zoo/models/, then draws it with
# `icl-analyze report zoo/models --only 8 --out out/figures`. ZOO and FIGURES override the folders;
# other arguments go to analysis/paper.sh (e.g. --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 8 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
