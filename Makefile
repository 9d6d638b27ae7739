# icl-zoo: one entry point for setting up, the demo, the tests and the benchmark.
# `make demo` and `make test` install what they need on a fresh Debian machine (apt packages, a
# Python venv with h5py for the interoperability tests) before doing anything else.

SHELL := /bin/bash
APT_PACKAGES := libhdf5-dev hdf5-tools libpng-dev libcairo2-dev fonts-dejavu-core libopenblas-dev pkg-config chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE := .build/release
DEMO := out/demo

.PHONY: deps venv build demo test lint test-slurm bench bench-peer fuzz kill-test clean paper paper-quick

## Debian packages: installed only when one is missing.
deps:
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  echo "installing $(APT_PACKAGES)"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

## Python venv with h5py and numpy: the tests check our files with an independent reader.
venv: .venv/.ready
.venv/.ready:
	python3 -m venv .venv
	.venv/bin/pip install -q --disable-pip-version-check h5py numpy
	touch $@

build: deps
	swift build -c release

## The main job on the default recipe: train a 1-layer LSA (5,000 steps), construct GD with a
## line-searched eta, and compare the two on 10,000 held-out tasks.
## Its two checkpoints are made anew on every run (the tools refuse to overwrite a checkpoint).
demo: build
	mkdir -p $(DEMO)
	rm -f $(DEMO)/lsa-1-seed-0.h5 $(DEMO)/gd-1.h5
	$(RELEASE)/icl-zoo train zoo/lsa-1.json --seed 0 --out $(DEMO)/lsa-1-seed-0.h5
	$(RELEASE)/icl-zoo construct gd --layers 1 --out $(DEMO)/gd-1.h5
	$(RELEASE)/icl-zoo list $(DEMO)
	$(RELEASE)/icl-analyze compare $(DEMO)/lsa-1-seed-0.h5 $(DEMO)/gd-1.h5

## In CI (CI set, as .ci/run does) compiler warnings are errors: the tree builds without any. Locally
## they stay warnings, so `make test` and `swift build` share one build (other flags rebuild it all).
WERROR := $(if $(CI),-Xswiftc -warnings-as-errors,)

test: deps venv
	swift build --build-tests $(WERROR)
	swift test --skip-build

## swift-format's rule checks (.swift-format); its layout findings are not checked (scripts/lint.sh).
lint:
	scripts/lint.sh

## `icl-zoo sweep` on a real single-node Slurm started in a scratch folder (installs slurm-wlm and munge
## when missing; needs root or sudo): a 2 recipes x 2 seeds job array, then a task requeued mid-run.
test-slurm: build venv
	scripts/test-slurm.sh

bench: build
	$(RELEASE)/icl-bench

## The same three LSA steps written in JAX + Optax (its own venv, .venv-peer/), alternating with
## icl-bench: both medians and the ratio. Not part of `make test`.
bench-peer: build
	bash scripts/bench-peer.sh

## Damaged and hostile checkpoints (a seeded corpus of 2,500) through the loader and the CLI:
## counts crashes, hangs, refusals and the distinct error messages (scripts/fuzz.sh).
fuzz: build venv
	scripts/fuzz.sh

## kill -9 at random moments, during state saves and the final write, then --resume: the final
## checkpoint must equal an uninterrupted run's (scripts/kill-test.sh).
kill-test: build venv
	scripts/kill-test.sh

## The paper's figures 2-16 and the report beside its numbers (analysis/paper.sh, plan in
## analysis/paper-plan.tsv): trains the zoo into out/paper/zoo/ (5 seeds, 10 for Figure 15, 1 for the
## expensive models; finished checkpoints reused, unfinished ones resumed), then `icl-analyze report`
## into out/paper/. One progress line; per-model logs in out/paper/logs/; out/paper/RUN.md says how.
paper: build
	analysis/paper.sh

## The same with seed 0 and shortened recipes into out/paper-quick/ (minutes, not hours).
paper-quick: build
	analysis/paper.sh --quick

clean:
	rm -rf .build out
