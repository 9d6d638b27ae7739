#!/usr/bin/env python3
"""Write weights trained elsewhere (JAX, PyTorch, numpy: one array per matrix) as an icl-zoo
checkpoint that `icl-zoo show` and every `icl-analyze` subcommand accept.

    python docs/examples/write.py OUT.h5 [--layers 1] [--eta 1.0]
        writes the demo: Proposition 1's gradient-descent weights built in numpy, as a model whose
        weights came from elsewhere (`icl-analyze compare OUT.h5 GD.h5` then finds the two equal,
        GD.h5 from `icl-zoo construct gd --layers L --eta η`)
    python docs/examples/write.py OUT.h5 --weights WEIGHTS.npz --recipe RECIPE.json [--curve CURVE.npz]
        writes your weights: WEIGHTS.npz holds one array per dataset, named by its path under /model
        (e.g. "layer_0/attention/head_0/W_Q"); RECIPE.json describes the model, tasks and training;
        CURVE.npz holds the arrays step, train_loss and validation_loss (default: one record at the
        last step, both losses computed here with forward.py on the recipe's validation set)

The file is the smallest the format allows for a trained model (docs/checkpoint-format.md, "Writing a
checkpoint from another framework"): the root attributes, /model with its attributes and weights,
and /training with its attributes and curve; every dataset with HDF5's Fletcher32 checksum
(format_version 2). Then check it with `icl-zoo show OUT.h5`: the loader is strict and names any
missing, extra or mis-shaped dataset.

Orientation: datasets are in the paper's orientation, a column token e gives q = W_Q e, so W_Q,
W_K, W_V are [Dk, D] and P is [D, Dk]; an MLP's W_1 is [Dh, D]. PyTorch's nn.Linear(D, Dk).weight
already is [Dk, D]; Haiku's and Flax's Linear/Dense kernels are [D, Dk]: transpose them.
"""
import argparse
import datetime
import json
import os
import sys

import h5py
import numpy as np


class Stated(dict):
    """A recipe section whose missing fields are an error naming them (not a KeyError of one word)."""

    def __init__(self, name, fields):
        super().__init__(fields)
        self.name = name

    def __missing__(self, field):
        raise ValueError(f"the recipe does not state {self.name}.{field}: write every value out, as icl-zoo's "
                         "checkpoints do (zoo/README.md lists the fields; `icl-zoo show --json` prints a resolved recipe)")


def stated(recipe, section):
    return Stated(section, recipe.get(section, {}))


def model_attributes(recipe):
    """The /model attributes: the recipe's values (every one must be stated), plus the two widths the
    loader checks against them. Missing fields are an error here rather than a default guessed."""
    m, t = stated(recipe, "model"), stated(recipe, "task")
    alternating = m["token_layout"] != "paired"
    token_dim = t["input_dim"] + (m["positional_dim"] if alternating else t["output_dim"])
    integers = {
        "layers": m["layers"], "heads": m["heads"], "recurrent": int(m["recurrent"]),
        "input_dim": t["input_dim"], "output_dim": t["output_dim"], "context_size": t["context_size"],
        "key_dim": m["key_dim"], "layer_norm": int(m["layer_norm"]), "mlp_hidden": m["mlp_hidden"],
        "mlp_first": int(m["mlp_first"]), "embedding_dim": m["embedding_dim"], "positional_dim": m["positional_dim"],
        "token_dim": token_dim, "model_dim": m["embedding_dim"] or token_dim,
    }
    attributes = {name: np.int64(value) for name, value in integers.items()}
    attributes.update({
        "architecture": m["architecture"], "token_layout": m["token_layout"],
        "attention": ",".join(m["attention"]),            # one entry per parameter layer
        "clip_tokens": float(m["clip_tokens"] or 0.0),    # null in the recipe: no clipping, 0 here
        "fixed_eta": float(m["fixed_eta"]),
    })
    if m.get("activation", "gelu") != "gelu":
        attributes["activation"] = m["activation"]    # written only when the MLP's σ is not GELU
    return attributes


def training_attributes(recipe, optimizer, seconds):
    """The /training attributes: the recipe's training values (each must be stated), how long it took."""
    t = stated(recipe, "training")
    attributes = {name: np.int64(t[name]) for name in ("seed", "steps", "batch_size")}
    for name in ("learning_rate", "adam_beta1", "adam_beta2", "adam_epsilon", "clip_norm", "init_scale"):
        attributes[name] = float(t[name])
    attributes["optimizer"] = optimizer
    attributes["seconds"] = float(seconds)
    return attributes


def write_checkpoint(path, recipe, weights, curve, optimizer="adam", seconds=0.0,
                     software_version="docs/examples/write.py"):
    """Writes `weights` ({path under /model: array}) as checkpoint `path`, through a temporary file
    renamed at the end (a crash never leaves half a file). `curve` holds the arrays "step" (int),
    "train_loss" and "validation_loss" (float), at least one record, steps increasing within
    0 … recipe.training.steps."""
    temporary = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        with h5py.File(temporary, "w") as f:
            f.attrs["format"] = "icl-zoo/checkpoint"
            f.attrs["format_version"] = np.int64(2)        # 2: every dataset has a Fletcher32 checksum
            f.attrs["software_version"] = software_version  # free text: what wrote the file
            f.attrs["created_utc"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            f.attrs["recipe"] = json.dumps(recipe, indent=2)
            model = f.create_group("model")
            for name, value in model_attributes(recipe).items():
                model.attrs[name] = value
            for name, array in weights.items():
                model.create_dataset(name, data=np.asarray(array, np.float32), fletcher32=True)
            training = f.create_group("training")
            for name, value in training_attributes(recipe, optimizer, seconds).items():
                training.attrs[name] = value
            training.create_dataset("step", data=np.asarray(curve["step"], np.int64), fletcher32=True)
            for name in ("train_loss", "validation_loss"):
                training.create_dataset(name, data=np.asarray(curve[name], np.float64), fletcher32=True)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# ---------------------------------------------------------------------------------------------------
# The demo and the command line.


def demo_recipe(layers):
    """A recipe with every value written out, as icl-zoo stores it: L separate linear-attention layers
    on the paper's tasks (d = 10, N = 10, x ~ U(−0.5, 0.5)); steps 0, as nothing was trained."""
    return {
        "name": f"gd-{layers}-numpy",
        "description": "Proposition 1's gradient-descent weights, built in numpy by docs/examples/write.py",
        "model": {"architecture": "lsa", "layers": layers, "heads": 1, "recurrent": False, "key_dim": 11,
                  "clip_tokens": 10.0 if layers > 3 else None, "attention": ["linear"] * layers, "layer_norm": False,
                  "mlp_hidden": 0, "mlp_first": False, "embedding_dim": 0, "token_layout": "paired",
                  "positional_dim": 0, "eta_init": 1.0, "fixed_eta": 0.1},
        "task": {"family": "linear-regression", "input_dim": 10, "output_dim": 1, "context_size": 10,
                 "input_range": 1.0, "weight_scale": 1.0, "noise_std": 0.0,
                 "amplitude_min": 0.1, "amplitude_max": 5.0, "correlated_phase": False},
        "training": {"seed": 0, "steps": 0, "batch_size": 2048, "learning_rate": 5e-4 if layers > 3 else 1e-3,
                     "adam_beta1": 0.9, "adam_beta2": 0.98, "adam_epsilon": 1e-8,
                     "clip_norm": 0.001 if layers <= 2 else 10.0, "init_scale": 0.002 / layers,
                     "eval_every": 100, "validation_tasks": 10000, "fixed_tasks": None, "snapshot_every": None,
                     "optimizer": "adam"},
    }


def gradient_descent_weights(layers, eta, d=10, N=10):
    """Proposition 1 per layer, as a user's own arrays: W_Q = W_K = [[I_d, 0], [0, 0]],
    W_V = [[0, 0], [0, −1]], P = (eta/N) I, so the query's target entry becomes
    −(eta/N) Σ_i y_i x_iᵀ x_q: one step of gradient descent from W = 0 per layer."""
    D = d + 1
    W_QK = np.diag(np.arange(D) < d).astype(np.float32)
    W_V = -np.diag(np.arange(D) >= d).astype(np.float32)
    P = np.float32(eta / N) * np.eye(D, dtype=np.float32)
    weights = {}
    for l in range(layers):
        head = f"layer_{l}/attention/head_0/"
        weights.update({head + "W_Q": W_QK, head + "W_K": W_QK, head + "W_V": W_V, head + "P": P})
    return weights


def validation_curve(recipe, weights):
    """One curve record at the recipe's last step: the loss of `weights` on the recipe's validation set,
    computed by forward.py (the numpy model beside this file), as train and validation loss."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import forward
    attributes = model_attributes(recipe)
    training = recipe["training"]
    value = forward.evaluate_weights(attributes, weights, recipe, training["validation_tasks"], training["seed"],
                                     forward.VALIDATION_STREAM)
    return {"step": [training["steps"]], "train_loss": [value], "validation_loss": [value]}


def main():
    parser = argparse.ArgumentParser(description="Write numpy weights as an icl-zoo checkpoint (format version 2).")
    parser.add_argument("out", metavar="OUT.h5")
    parser.add_argument("--weights", metavar="WEIGHTS.npz", help="one array per /model dataset path (default: the GD demo)")
    parser.add_argument("--recipe", metavar="RECIPE.json", help="the model, task and training, every value stated (with --weights)")
    parser.add_argument("--curve", metavar="CURVE.npz", help="arrays step, train_loss, validation_loss "
                        "(default: one record, the weights' validation loss computed with forward.py)")
    parser.add_argument("--layers", type=int, default=1, help="demo: GD steps, one layer each (default: 1)")
    parser.add_argument("--eta", type=float, default=1.0, help="demo: the learning rate of every step (default: 1.0)")
    args = parser.parse_args()
    if (args.weights is None) != (args.recipe is None):
        parser.error("give --weights and --recipe together (or neither, for the demo)")
    try:
        if args.weights:
            with open(args.recipe) as f:
                recipe = json.load(f)
            with np.load(args.weights) as archive:
                weights = {name: archive[name] for name in archive.files}
        else:
            recipe, weights = demo_recipe(args.layers), gradient_descent_weights(args.layers, args.eta)
        if args.curve:
            with np.load(args.curve) as archive:
                curve = {name: archive[name] for name in ("step", "train_loss", "validation_loss")}
        else:
            curve = validation_curve(recipe, weights)
        write_checkpoint(args.out, recipe, weights, curve)
    except (OSError, KeyError, ValueError) as error:
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"wrote {args.out}: validation loss {curve['validation_loss'][-1]:.6f}; check it with `icl-zoo show {args.out}`")


if __name__ == "__main__":
    main()
