#!/usr/bin/env bash
# `make bench-peer`: the JAX + Optax peer of icl-bench (scripts/bench_peer.py), in a venv of its own
# (.venv-peer/, CPU jaxlib from PyPI, made once), alternating with the release icl-bench so that
# both see the same machine. Arguments go to bench_peer.py (--rounds, --steps, --only, …).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-peer
if [ ! -f "$venv/.ready" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "jax[cpu]" optax
  touch "$venv/.ready"
fi
bench=.build/release/icl-bench
[ -x "$bench" ] || { echo "Error: $bench not found: run \`swift build -c release\` (or \`make build\`) first" >&2; exit 1; }
exec "$venv/bin/python" scripts/bench_peer.py --icl-bench "$bench" "$@"
