"""The JAX peer of `icl-bench`: the same training steps written as a JAX + Optax user would.

One linear self-attention model on in-context linear regression (von Oswald et al., 2023): tokens
e_j = (x_j, y_j) with D = d + 1 = 11, N = 10 context tokens and a query whose y is 0; each layer
adds P W_V E_c^T E_c W_K^T W_Q e_j (no softmax, keys and values from the context tokens only); the
prediction is minus the query's last entry. A step draws a fresh batch of tasks, takes the gradient
of the mean squared error and applies optax's clip_by_global_norm + adam, all in one jitted call.
The settings follow the zoo's recipes (lsa-1, lsa-recurrent-2, lsa-5): only the shapes and the
work per step matter here, not the learning curve.

With --icl-bench PATH, each model is timed in rounds that alternate this step and `icl-bench
--only MODEL` (a subprocess), so that both see the same machine; the table gives, per model, the
median and the minimum over the rounds of each side's median step time, and their ratio.
"""
import argparse
import json
import os
import statistics
import subprocess
import time

import jax
import jax.numpy as jnp
import optax

MODELS = {
    # name: (layer applications, recurrent, learning rate, clip norm, token clip)
    "lsa-1": (1, False, 1e-3, 0.001, None),
    "lsa-recurrent-2": (2, True, 1e-3, 0.001, None),
    "lsa-5": (5, False, 5e-4, 10.0, 10.0),
}


def sample_tasks(key, batch, d=10, n=10):
    """Fresh regression tasks: w ~ N(0, I), x ~ U(-0.5, 0.5), y = w.x; the query's y is hidden."""
    kw, kx = jax.random.split(key)
    w = jax.random.normal(kw, (batch, d))
    x = jax.random.uniform(kx, (batch, n + 1, d), minval=-0.5, maxval=0.5)
    y = jnp.einsum("btd,bd->bt", x, w)
    tokens = jnp.concatenate([x, y[..., None]], axis=-1)
    tokens = tokens.at[:, -1, -1].set(0.0)
    return tokens, y[:, -1]


def init_layer(key, dim, scale):
    ks = jax.random.split(key, 4)
    return {name: scale * jax.random.normal(k, (dim, dim)) for name, k in zip(["W_Q", "W_K", "W_V", "P"], ks)}


def linear_attention(p, e):
    """e_j + P W_V sum_{i<N} (W_K e_i)(W_K e_i . W_Q e_j): attention scores without softmax."""
    q = e @ p["W_Q"].T
    k = e[:, :-1] @ p["W_K"].T
    v = e[:, :-1] @ p["W_V"].T
    scores = jnp.einsum("btk,bsk->bts", q, k)
    return e + jnp.einsum("bts,bsk->btk", scores, v) @ p["P"].T


def make_step(name, batch):
    applications, recurrent, lr, clip_norm, clip_tokens = MODELS[name]
    optimiser = optax.chain(optax.clip_by_global_norm(clip_norm), optax.adam(lr, b1=0.9, b2=0.98))

    def predict(params, tokens):
        e = tokens
        for a in range(applications):
            e = linear_attention(params[0 if recurrent else a], e)
            if clip_tokens is not None:
                e = jnp.clip(e, -clip_tokens, clip_tokens)
        return -e[:, -1, -1]

    def loss(params, tokens, targets):
        return 0.5 * jnp.mean((predict(params, tokens) - targets) ** 2)

    @jax.jit
    def step(params, state, key):
        key, sub = jax.random.split(key)
        tokens, targets = sample_tasks(sub, batch)
        value, grads = jax.value_and_grad(loss)(params, tokens, targets)
        updates, state = optimiser.update(grads, state, params)
        return optax.apply_updates(params, updates), state, key, value

    layers = 1 if recurrent else applications
    keys = jax.random.split(jax.random.PRNGKey(0), layers + 1)
    params = [init_layer(k, 11, 0.002 / applications) for k in keys[:layers]]
    return step, params, optimiser.init(params), keys[-1]



def time_steps(compiled, steps):
    """Median and minimum ms of `steps` calls of an already compiled step."""
    step, params, state, key = compiled
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        params, state, key, value = step(params, state, key)
        value.block_until_ready()
        times.append(1e3 * (time.perf_counter() - t0))
    compiled[1:] = [params, state, key]
    return statistics.median(times)


def time_icl_bench(path, name, batch, steps):
    """`icl-bench --only NAME`'s median step time, in ms (bounded: ten minutes at most)."""
    out = subprocess.run([path, "--only", name, "--batch-size", str(batch), "--steps", str(steps),
                          "--skip-reference", "--json"], check=True, capture_output=True, text=True, timeout=600)
    models = [m for m in json.loads(out.stdout)["models"] if m["name"] == name]
    return models[0]["ms_per_step"]


def load_average():
    return " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="only the models whose name contains this")
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=100, help="timed steps per round and side (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed JAX steps after compiling (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations per model (default 3)")
    parser.add_argument("--icl-bench", help="path of a release icl-bench to alternate with (default: JAX alone)")
    args = parser.parse_args()
    print(f"JAX {jax.__version__} on {jax.devices()[0].platform}, optax {optax.__version__}; batch {args.batch_size}, "
          f"{args.rounds} rounds of {args.steps} steps a side; load before: {load_average()}", flush=True)
    header = ["model", "JAX median", "JAX min", "icl median", "icl min", "JAX/icl (median)"]
    print("".join(h.ljust(18) for h in header), flush=True)
    for name in MODELS:
        if args.only is not None and args.only not in name:
            continue
        compiled = list(make_step(name, args.batch_size))
        time_steps(compiled, args.warmup)          # compiles, then warms up
        jax_ms, icl_ms = [], []
        for _ in range(args.rounds):
            jax_ms.append(time_steps(compiled, args.steps))
            if args.icl_bench:
                icl_ms.append(time_icl_bench(args.icl_bench, name, args.batch_size, args.steps))
        row = [name, f"{statistics.median(jax_ms):.3f} ms", f"{min(jax_ms):.3f} ms"]
        if icl_ms:
            row += [f"{statistics.median(icl_ms):.3f} ms", f"{min(icl_ms):.3f} ms",
                    f"{statistics.median(jax_ms) / statistics.median(icl_ms):.1f}x"]
        print("".join(c.ljust(18) for c in row), flush=True)
    print(f"load after: {load_average()}")


if __name__ == "__main__":
    main()
