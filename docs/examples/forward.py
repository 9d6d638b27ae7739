#!/usr/bin/env python3
"""Rerun an icl-zoo checkpoint in numpy: read it with h5py, draw the tasks `icl-analyze compare` draws,
run the model's forward pass, and print its loss, which equals compare's "loss A".

    python docs/examples/forward.py CHECKPOINT [CHECKPOINT ...] [--tasks 10000] [--seed 0] [--json]

Only h5py and numpy are needed; nothing here calls icl-zoo. Every model kind of the format runs:
linear and softmax attention, one or several heads, separate or recurrent layers, LayerNorm, MLP
blocks (GELU or ReLU), an embedding, token clipping, paired and alternating tokens, and the gd, gdpp and mlp_gd
models whose attention weights are derived from eta and gamma (docs/checkpoint-format.md).

Tasks: icl-zoo draws its tasks with its own seeded generator (SplitMix64, one generator per task),
not numpy's, so this file carries a port of it. `compare --seed S --tasks B` evaluates on tasks
0 … B−1 of the evaluation stream of seed S; `sample_tasks` below draws the same numbers (up to the
last bit of the C library's log/sin/cos) and `loss` then agrees with compare's to about 1e-6
relative (icl-zoo computes in float32, this file in float64). A model trained elsewhere can be
evaluated on exactly the tasks our models see with `sample_tasks` alone.

Shapes: B tasks, T tokens per task (the query last), D model width, Dk key width, H heads, N context
examples, d input width. Tokens are rows ([B, T, D]); weights are stored in the paper's orientation
(a column token e gives q = W_Q e), so for row tokens q = e @ W_Q.T.
"""
import argparse
import json
import sys

import h5py
import numpy as np

# ---------------------------------------------------------------------------------------------------
# Random numbers: SplitMix64 exactly as Sources/ICLMath/Random.swift, vectorised over tasks.
# numpy's uint64 arithmetic wraps around like Swift's &+ and &*.

M64 = np.uint64
EVALUATION_STREAM = 0x3000_0000_0000   # `compare`, `ood`, ...: RandomStream.evaluation
VALIDATION_STREAM = 0x2000_0000_0000   # the validation set recorded in /training/validation_loss


def mix(z):
    """The SplitMix64 finaliser (a bijective hash of 64 bits)."""
    z = (z ^ (z >> M64(30))) * M64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> M64(27))) * M64(0x94D049BB133111EB)
    return z ^ (z >> M64(31))


class SplitMix64:
    """One generator per task: task b of stream `stream` under `seed` starts from
    mix(mix(mix(seed) + stream) + b), so any task can be drawn alone."""

    def __init__(self, seed, stream, count):
        with np.errstate(over="ignore"):
            base = mix(np.array([seed], dtype=M64)) + M64(stream)
            self.state = mix(mix(base) + np.arange(count, dtype=M64))

    def next(self):
        self.state = self.state + M64(0x9E3779B97F4A7C15)
        return mix(self.state)

    def uniform(self):
        """[0, 1) with 53 random bits."""
        return (self.next() >> M64(11)).astype(np.float64) * 2.0**-53

    def uniform_pair(self):
        """Two uniforms in [0, 1) with 32 bits each, from one draw."""
        bits = self.next()
        return (bits >> M64(32)).astype(np.float64) * 2.0**-32, (bits & M64(0xFFFFFFFF)).astype(np.float64) * 2.0**-32

    def normal_pair(self):
        """Two standard normals from one Box-Muller transform."""
        u1, u2 = self.uniform_pair()
        radius, angle = np.sqrt(-2.0 * np.log(1.0 - u1)), 2.0 * np.pi * u2
        return radius * np.cos(angle), radius * np.sin(angle)


# ---------------------------------------------------------------------------------------------------
# Tasks: Sources/ICLTasks (LinearRegression.swift, SineTasks.swift, AlternatingTokens.swift).


def linear_regression_tasks(task, count, seed, stream):
    """Paired tokens e_j = (x_j, y_j) [B, N + 1, d + o], the query (x_q, 0) last, and its targets [B, o].
    Per task: the teacher W ~ N(0, s²) (normals in pairs), then per token x ~ U(−r/2, r/2) (uniforms in
    pairs) and y = W x (+ noise), all in float64 and stored as float32."""
    d, o, N = task["input_dim"], task["output_dim"], task["context_size"]
    half, width, scale, noise = task["input_range"] / 2, task["input_range"], task["weight_scale"], task["noise_std"]
    rng = SplitMix64(seed, stream, count)
    teacher = np.zeros((count, o * d + 1))
    for k in range(0, o * d, 2):
        z0, z1 = rng.normal_pair()
        teacher[:, k], teacher[:, k + 1] = scale * z0, scale * z1
    tokens = np.zeros((count, N + 1, d + o), np.float32)
    targets = np.zeros((count, o), np.float32)
    x = np.zeros((count, d + 1))
    for j in range(N + 1):
        for k in range(0, d, 2):
            u0, u1 = rng.uniform_pair()
            x[:, k], x[:, k + 1] = -half + width * u0, -half + width * u1   # for odd d, x[d] is unused
        tokens[:, j, :d] = x[:, :d]
        for out in range(o):
            y = np.zeros(count)
            for k in range(d):   # summed in icl-zoo's order
                y += teacher[:, out * d + k] * x[:, k]
            if noise > 0:
                y += noise * rng.normal_pair()[0]
            if j < N:
                tokens[:, j, d + out] = y
            else:
                targets[:, out] = y   # the query's target is hidden: its token holds 0
    return tokens, targets


def sine_tasks(task, count, seed, stream):
    """y = a sin(x + rho) with a ~ U(a_min, a_max), rho ~ U(0, pi) (or pi (a − a_min)/(a_max − a_min)
    when correlated), x ~ U(−r/2, r/2); tokens (x, y) [B, N + 1, 2]."""
    N, r = task["context_size"], task["input_range"]
    a_min, a_max = task["amplitude_min"], task["amplitude_max"]
    rng = SplitMix64(seed, stream, count)
    u = rng.uniform()
    amplitude = a_min + (a_max - a_min) * u
    phase = np.pi * u if task["correlated_phase"] else 0.0 + (np.pi - 0.0) * rng.uniform()
    tokens = np.zeros((count, N + 1, 2), np.float32)
    targets = np.zeros((count, 1), np.float32)
    for j in range(N + 1):
        x = -r / 2 + (r / 2 - -r / 2) * rng.uniform()
        y = amplitude * np.sin(x + phase)
        tokens[:, j, 0] = x
        if j < N:
            tokens[:, j, 1] = y
        else:
            targets[:, 0] = y
    return tokens, targets


def alternating_tokens(paired, d, positional_dim, one_hot):
    """x_1, (0, …, 0, y_1), …, x_N, (0, …, 0, y_N), x_q: each d wide (targets in the last entries),
    with a position code of width P concatenated: sinusoidal (pe[2i] = sin(pos · 10000^(−2i/P)),
    pe[2i+1] = cos(…)) or one-hot (P = 2N + 1)."""
    B, T_paired, _ = paired.shape
    N, o, T = T_paired - 1, paired.shape[2] - d, 2 * T_paired - 1
    tokens = np.zeros((B, T, d + positional_dim), np.float32)
    tokens[:, 0::2, :d] = paired[:, :, :d]
    tokens[:, 1::2, d - o:d] = paired[:, :N, d:]
    if one_hot:
        code = np.eye(T)
    else:
        code = np.zeros((T, positional_dim))
        for pos in range(T):
            for i in range(positional_dim // 2):
                angle = pos * np.exp(-(2 * i) / positional_dim * np.log(10_000.0))
                code[pos, 2 * i], code[pos, 2 * i + 1] = np.sin(angle), np.cos(angle)
    tokens[:, :, d:] = code.astype(np.float32)
    return tokens


# The recipe's task fields and their defaults (zoo/README.md): a recipe may leave any of them out.
TASK_DEFAULTS = {"family": "linear-regression", "input_dim": 10, "output_dim": 1, "context_size": 10, "input_range": 1.0,
                 "weight_scale": 1.0, "noise_std": 0.0, "amplitude_min": 0.1, "amplitude_max": 5.0, "correlated_phase": False}
MODEL_DEFAULTS = {"token_layout": "paired", "positional_dim": 0}


def sample_tasks(recipe, count, seed, stream=EVALUATION_STREAM):
    """The tasks icl-zoo draws for `recipe` (a checkpoint's recipe): tokens in the model's layout
    [B, T, token_dim] and the query targets [B, o], float32."""
    task, model = {**TASK_DEFAULTS, **recipe.get("task", {})}, {**MODEL_DEFAULTS, **recipe.get("model", {})}
    if task["family"] == "sine":
        return sine_tasks(task, count, seed, stream)
    tokens, targets = linear_regression_tasks(task, count, seed, stream)
    layout = model["token_layout"]
    if layout != "paired":
        tokens = alternating_tokens(tokens, task["input_dim"], model["positional_dim"], layout == "alternating_onehot")
    return tokens, targets


# ---------------------------------------------------------------------------------------------------
# The model: Sources/ICLModels (AttentionStack.swift and one file per block).


def read_checkpoint(path):
    """The /model attributes, every /model dataset by its path (e.g. "layer_0/attention/head_0/W_Q"),
    and the resolved recipe."""
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != "icl-zoo/checkpoint":
            raise ValueError("not an icl-zoo checkpoint (its attribute 'format' is not 'icl-zoo/checkpoint')")
        config = dict(f["model"].attrs)
        weights = {}
        f["model"].visititems(lambda name, item: weights.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
        recipe = json.loads(f.attrs["recipe"])
    return config, weights, recipe


def derived_weights(config, weights):
    """gd, gdpp and mlp_gd store eta (and gamma), not their attention: per layer
    W_Q = W_K = [[I_d, 0], [0, 0]], W_V = −I, P = diag(gamma · 1_d, (eta/N) · 1_o) (gamma = 0 for gd);
    mlp_gd: W_Q = W_K = I on the features, W_V = −I on the targets (the last o entries), P = (eta/N) I."""
    architecture = config["architecture"]
    if architecture not in ("gd", "gdpp", "mlp_gd"):
        return weights
    weights = dict(weights)
    D, N, o = int(config["model_dim"]), int(config["context_size"]), int(config["output_dim"])
    if architecture == "mlp_gd":
        features = np.diag((np.arange(D) < D - o).astype(np.float32))
        weights["layer_0/attention/head_0/W_Q"] = weights["layer_0/attention/head_0/W_K"] = features
        weights["layer_0/attention/head_0/W_V"] = -np.diag((np.arange(D) >= D - o).astype(np.float32))
        weights["layer_0/attention/head_0/P"] = np.float32(config["fixed_eta"]) / np.float32(N) * np.eye(D, dtype=np.float32)
        return weights
    d = int(config["input_dim"])
    etas = weights.pop("gd/eta")
    gammas = weights.pop("gd/gamma", np.zeros_like(etas))
    for l, (eta, gamma) in enumerate(zip(etas, gammas)):
        head = f"layer_{l}/attention/head_0/"
        weights[head + "W_Q"] = weights[head + "W_K"] = np.diag((np.arange(D) < d).astype(np.float32))
        weights[head + "W_V"] = -np.eye(D, dtype=np.float32)
        weights[head + "P"] = np.diag(np.where(np.arange(D) < d, gamma, eta / np.float32(N))).astype(np.float32)
    return weights


def layer_norm(h, scale, offset, epsilon=1e-5):
    """Per token over its D features, biased variance."""
    mean = h.mean(axis=-1, keepdims=True)
    variance = ((h - mean) ** 2).mean(axis=-1, keepdims=True)
    return (h - mean) / np.sqrt(variance + epsilon) * scale + offset


def attention(u, heads, kind):
    """delta_j = Σ_h P_h Σ_i v_i a(q_j, k_i): keys and values from the context tokens only (all but the
    query, last); a = k_iᵀ q_j for linear attention (paper eq. 6: no softmax, no 1/√Dk), the
    softmax over i of k_iᵀ q_j / √Dk for softmax attention. u: [B, T, D] → [B, T, D]."""
    context = u[:, :-1]
    delta = np.zeros_like(u)
    for W_Q, W_K, W_V, P in heads:
        q, k, v = u @ W_Q.T, context @ W_K.T, context @ W_V.T        # [B, T, Dk], [B, N, Dk], [B, N, Dk]
        scores = q @ k.transpose(0, 2, 1)                              # [B, T, N]
        if kind == "softmax":
            scores = scores / np.sqrt(W_Q.shape[0])
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores = scores / scores.sum(axis=-1, keepdims=True)
        delta += scores @ v @ P.T
    return delta


def mlp(u, W_1, b_1, W_2, b_2, activation):
    """W_2 σ(W_1 u + b_1) + b_2 per token; σ is GELU in its tanh form (jax.nn.gelu's default, the
    paper's) unless the file's `activation` attribute says `relu`."""
    pre = u @ W_1.T + b_1
    if activation == "relu":
        hidden = np.maximum(pre, 0)
    else:
        hidden = 0.5 * pre * (1 + np.tanh(np.sqrt(2 / np.pi) * (pre + 0.044715 * pre**3)))
    return hidden @ W_2.T + b_2


def forward(config, weights, tokens):
    """Predictions [B, o] for tokens [B, T, token_dim], in float64: the optional embedding, then L
    applications of a layer (layer 0 each time when recurrent), each `h ← h + block(LN(h))` for its
    blocks (attention then MLP; the reverse with mlp_first; LN where the file has a norm), tokens
    clipped to ±clip_tokens after every layer; ŷ = −(the query's readout entries)."""
    weights = {name: value.astype(np.float64) for name, value in derived_weights(config, weights).items()}
    L, H = int(config["layers"]), int(config["heads"])
    d, o = int(config["input_dim"]), int(config["output_dim"])
    clip = float(config["clip_tokens"])
    h = tokens.astype(np.float64)
    if "embedding/W_E" in weights:
        h = h @ weights["embedding/W_E"].T
    for a in range(L):
        layer = f"layer_{0 if config['recurrent'] else a}/"
        kind = str(config["attention"]).split(",")[0 if config["recurrent"] else a]
        blocks = ["attention", "mlp"] if layer + "mlp/W_1" in weights else ["attention"]
        if config["mlp_first"]:
            blocks.reverse()
        for block in blocks:
            norm = layer + ("attention_norm/" if block == "attention" else "mlp_norm/")
            u = layer_norm(h, weights[norm + "scale"], weights[norm + "offset"]) if norm + "scale" in weights else h
            if block == "attention":
                heads = [[weights[f"{layer}attention/head_{i}/{name}"] for name in ("W_Q", "W_K", "W_V", "P")] for i in range(H)]
                h = h + attention(u, heads, kind)
            else:
                h = h + mlp(u, *(weights[layer + "mlp/" + name] for name in ("W_1", "b_1", "W_2", "b_2")),
                            config.get("activation", "gelu"))
        if clip > 0:
            h = np.clip(h, -clip, clip)
    D = h.shape[-1]
    readout = D - o if "embedding/W_E" in weights else (d if config["token_layout"] == "paired" else d - o)
    return -h[:, -1, readout:readout + o]


def loss(predictions, targets):
    """The paper's loss: 0.5 · mean over tasks of ‖ŷ − y‖²."""
    return 0.5 * np.sum((predictions - targets.astype(np.float64)) ** 2) / len(targets)


def evaluate_weights(config, weights, recipe, tasks, seed, stream=EVALUATION_STREAM, slice_size=2_000):
    """The loss of a model (its /model attributes, datasets and recipe) on `tasks` tasks of `stream`
    under `seed`, run in slices of tasks to bound memory."""
    tokens, targets = sample_tasks(recipe, tasks, seed, stream)
    predictions = np.concatenate([forward(config, weights, tokens[k:k + slice_size]) for k in range(0, tasks, slice_size)])
    return loss(predictions, targets)


def evaluate(path, tasks, seed, stream=EVALUATION_STREAM):
    """The loss of checkpoint `path`: what `icl-analyze compare --tasks TASKS --seed SEED` prints as loss A."""
    return evaluate_weights(*read_checkpoint(path), tasks, seed, stream)


def main():
    parser = argparse.ArgumentParser(description="Rerun icl-zoo checkpoints in numpy; print the loss "
                                     "`icl-analyze compare` prints for them on the same tasks.")
    parser.add_argument("checkpoints", nargs="+", metavar="CHECKPOINT", help="icl-zoo checkpoints (.h5)")
    parser.add_argument("--tasks", type=int, default=10_000, help="evaluation tasks (default: 10000, as compare)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the evaluation tasks (default: 0, as compare)")
    parser.add_argument("--validation", action="store_true",
                        help="use the checkpoint's own validation set (its recipe's seed and validation_tasks) "
                        "instead, and print the last /training/validation_loss beside it")
    parser.add_argument("--json", action="store_true", help="print one JSON object per checkpoint")
    args = parser.parse_args()
    if args.tasks < 1:
        parser.error(f"--tasks must be at least 1 (got {args.tasks})")
    for path in args.checkpoints:
        try:
            if args.validation:
                # The validation set: tasks 0 … validation_tasks − 1 of the validation stream of the
                # recipe's seed; the curve's last record is the loss of the final weights on it.
                _, _, recipe = read_checkpoint(path)
                training = {"seed": 0, "validation_tasks": 10_000, **recipe.get("training", {})}
                value = evaluate(path, training["validation_tasks"], training["seed"], VALIDATION_STREAM)
                with h5py.File(path, "r") as f:
                    recorded = float(f["training/validation_loss"][-1]) if "training" in f else None
                result = {"file": path, "loss": value, "tasks": training["validation_tasks"], "recorded": recorded}
            else:
                result = {"file": path, "loss": evaluate(path, args.tasks, args.seed), "tasks": args.tasks, "seed": args.seed}
        except (OSError, KeyError, ValueError) as error:
            print(f"Error: {path}: {error}", file=sys.stderr)
            sys.exit(1)
        if args.json:
            print(json.dumps(result))
        elif args.validation:
            recorded = "no curve: a construction" if result["recorded"] is None else f"the file records {result['recorded']:.6f}"
            print(f"validation loss {result['loss']:.6f} ({recorded}) on {result['tasks']} tasks   {path}")
        else:
            print(f"loss {result['loss']:.6f} on {args.tasks} tasks (seed {args.seed})   {path}")


if __name__ == "__main__":
    main()
