#!/usr/bin/env bash
# Figure 15: phase transitions: 10 seeds of one LSA layer with one and with two heads, and one
# Transformer block (LSA and MLP) on a fixed set of 8192 tasks. Trains and constructs what
# analysis/paper-plan.tsv names for it (10 seeds each of lsa-1 and lsa-1-2head (~10 s each),
# mlp-1-fixed-8192 (minutes) and the GD construction) into zoo/models/, then draws it with
# `icl-analyze report zoo/models --only 15 --out out/figures`. ZOO and FIGURES override the folders;
# other arguments go to analysis/paper.sh (e.g. --quick, --dry-run).
set -euo pipefail
exec "$(dirname "$0")/paper.sh" --only 15 --zoo "${ZOO:-zoo/models}" --out "${FIGURES:-out/figures}" "$@"
