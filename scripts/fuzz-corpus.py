"""Builds a seeded corpus of damaged and hostile checkpoints from good ones, for the loader to refuse.

usage: fuzz-corpus.py SEED COUNT OUT_DIR GOOD.h5 [GOOD.h5 …]

Writes COUNT inputs into OUT_DIR (one file, folder, FIFO or link each, named <index>-<kind>.h5) and
OUT_DIR/corpus.tsv (name, kind, what was done). The same seed and good files give the same corpus.
The systematic edits come first (every attribute and every dataset of each good file edited each
way, links, special files, foreign HDF5 files), in an order shuffled by the seed; random
truncations and byte flips fill up the rest. With COUNT below the number of systematic edits, a
seeded sample of them is taken, still covering every kind.
"""
import os
import random
import shutil
import sys

import h5py
import numpy as np

seed, count, out, goods = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
rng = random.Random(seed)
os.makedirs(out, exist_ok=True)
made = []


def objects(path):
    """(attributes: [(object, name)], datasets: [path]) of a file."""
    attributes, datasets = [], []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            key = "/" + name if name else "/"
            attributes.extend((key, a) for a in obj.attrs)
            if isinstance(obj, h5py.Dataset):
                datasets.append(key)
        visit("", f)
        f.visititems(visit)
    return attributes, datasets


# Values an attribute is set to: sizes that overflow or exhaust memory, non-finite numbers, wrong types.
ATTRIBUTE_VALUES = [
    ("zero", 0), ("minus-one", -1), ("2^40", 2**40), ("int64-max", np.int64(2**63 - 1)), ("int64-min", np.int64(-2**63)),
    ("uint64-max", np.uint64(2**64 - 1)), ("nan", float("nan")), ("inf", float("inf")), ("minus-inf", float("-inf")),
    ("1e308", 1e308), ("string", "x"), ("two-values", np.array([1, 2])), ("thirty", 30), ("float-1.5", 1.5),
    ("long-string", "a," * 5000),
]


def edit_attribute(good, target, obj, name, value):
    def run(f):
        if value is None:
            del f[obj].attrs[name]
        else:
            f[obj].attrs[name] = value
    return copy_and_edit(good, target, run)


def copy_and_edit(good, target, run):
    shutil.copyfile(good, target)
    with h5py.File(target, "r+") as f:
        run(f)


def dataset_edits(good, dataset):
    """(label, function of the open file) for every way a dataset is damaged."""
    def replace(**kwargs):
        def run(f):
            del f[dataset]
            f.create_dataset(dataset, **kwargs)
        return run
    shape = None
    with h5py.File(good, "r") as f:
        shape = f[dataset].shape
    return [
        ("delete", lambda f: f.__delitem__(dataset)),
        ("huge-shape", replace(shape=(2**40,), dtype="f4")),
        ("huge-2d", replace(shape=(2**20, 2**20), dtype="f4", fletcher32=True, chunks=(1, 1))),
        ("int64-max-shape", replace(shape=(2**62,), dtype="f8")),
        ("transposed", replace(data=np.zeros(tuple(reversed(shape)) if shape else (), "f4"), fletcher32=bool(shape))),
        ("int32", replace(data=np.zeros(shape, "i4"), fletcher32=bool(shape))),
        ("string", replace(data=np.array(["x"] * (int(np.prod(shape)) if shape else 1), dtype=h5py.string_dtype()))),
        ("scalar", replace(data=np.float32(1))),
        ("empty", replace(shape=(0,), dtype="f4")),
        ("nan", replace(data=np.full(shape, np.nan, "f4"), fletcher32=bool(shape))),
        ("inf-f8", replace(data=np.full(shape, np.inf, "f8"), fletcher32=bool(shape))),
        ("1e38", replace(data=np.full(shape, 3e38, "f4"), fletcher32=bool(shape))),
        ("no-checksum", replace(data=np.ones(shape, "f4"))),
        ("compound", replace(data=np.zeros(shape or (1,), dtype=[("a", "f4"), ("b", "i4")]))),
        ("no-storage", replace(shape=shape or (1,), dtype="f4", fletcher32=bool(shape), chunks=True if shape else None)),
        ("group", lambda f: (f.__delitem__(dataset), f.create_group(dataset))),
    ]


def special(target, kind):
    """Inputs that are not HDF5 files at all, or links and files a reader must not open blindly."""
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        os.mkdir(target)
    elif kind == "symlink-loop":
        os.symlink(os.path.basename(target), target)
    elif kind == "dev-zero":
        os.symlink("/dev/zero", target)
    elif kind == "empty-file":
        open(target, "wb").close()
    elif kind == "signature-only":
        open(target, "wb").write(b"\x89HDF\r\n\x1a\n" + bytes(rng.getrandbits(8) for _ in range(4096)))
    elif kind == "foreign-empty":
        h5py.File(target, "w").close()
    elif kind == "foreign-format-only":
        with h5py.File(target, "w") as f:
            f.attrs["format"] = "icl-zoo/checkpoint"
            f.attrs["format_version"] = 2
    elif kind == "foreign-data":
        with h5py.File(target, "w") as f:
            f["x"] = np.arange(10)
            f.attrs["format"] = "something-else"


def link_edits(good):
    """Soft, hard (a cycle), external links, external storage, a virtual dataset."""
    _, datasets = objects(good)
    some = datasets[0]
    parent = some.rsplit("/", 1)[0] or "/"
    return [
        ("soft-link", lambda f: (f.__delitem__(some), f.__setitem__(some, h5py.SoftLink(datasets[1])))),
        ("dangling-soft-link", lambda f: (f.__delitem__(some), f.__setitem__(some, h5py.SoftLink("/nowhere")))),
        ("hard-link-cycle", lambda f: f.__setitem__(parent + "/loop", f[parent])),
        ("hard-link-root-cycle", lambda f: f.__setitem__("/model/root", f["/"])),
        ("hard-link-twice", lambda f: f.__setitem__(parent + "/again", f[some])),
        ("external-link-fifo", lambda f: (f.__delitem__(some), f.__setitem__(some, h5py.ExternalLink(fifo, "/x")))),
        ("external-link-self", lambda f: (f.__delitem__(some), f.__setitem__(some, h5py.ExternalLink(good, some)))),
        ("external-storage", lambda f: (f.__delitem__(some), f.create_dataset(some, shape=(4,), dtype="f4",
                                                                              external=[(fifo, 0, 16)]))),
        ("virtual", lambda f: virtual(f, some)),
        ("extra-group", lambda f: f.create_group("/model/extra")),
        ("many-members", lambda f: [f.create_group(f"/snapshots/g{k}") for k in range(200)]),
    ]


def virtual(f, path):
    shape = f[path].shape or (1,)
    layout = h5py.VirtualLayout(shape=shape, dtype="f4")
    layout[...] = h5py.VirtualSource(fifo, "/x", shape=shape)
    del f[path]
    f.create_virtual_dataset(path, layout)


fifo = os.path.join(out, "fifo-target")
if not os.path.exists(fifo):
    os.mkfifo(fifo)

systematic = []   # (kind, description, function(target))
for good in goods:
    base = os.path.basename(good)
    attributes, datasets = objects(good)
    for obj, name in attributes:
        for label, value in ATTRIBUTE_VALUES + [("delete", None)]:
            systematic.append((f"attribute-{label}", f"{base}: {obj} attribute {name} = {label}",
                               lambda t, g=good, o=obj, n=name, v=value: edit_attribute(g, t, o, n, v)))
    for dataset in datasets:
        for label, run in dataset_edits(good, dataset):
            systematic.append((f"dataset-{label}", f"{base}: {dataset} {label}",
                               lambda t, g=good, r=run: copy_and_edit(g, t, r)))
    for label, run in link_edits(good):
        systematic.append((label, f"{base}: {label}", lambda t, g=good, r=run: copy_and_edit(g, t, r)))
for kind in ["fifo", "directory", "symlink-loop", "dev-zero", "empty-file", "signature-only", "foreign-empty",
             "foreign-format-only", "foreign-data"]:
    systematic.append((kind, kind, lambda t, k=kind: special(t, k)))

rng.shuffle(systematic)
if count < len(systematic):
    # Every kind once, then a seeded sample of the rest.
    first = {}
    for entry in systematic:
        first.setdefault(entry[0], entry)
    rest = [e for e in systematic if first[e[0]] is not e]
    systematic = list(first.values()) + rng.sample(rest, max(0, count - len(first)))
    systematic = systematic[:count]

rows = []
index = 0
for kind, description, make in systematic:
    target = os.path.join(out, f"{index:05d}-{kind}.h5")
    try:
        make(target)
    except Exception as error:   # h5py refused to make this edit: it is not an input
        for leftover in [target]:
            if os.path.lexists(leftover) and not os.path.isdir(leftover):
                os.remove(leftover)
        continue
    rows.append((os.path.basename(target), kind, description))
    index += 1

while index < count:
    good = rng.choice(goods)
    data = bytearray(open(good, "rb").read())
    choice = rng.random()
    if choice < 0.35:
        length = rng.randrange(len(data))
        data = data[:length]
        kind, description = "truncated", f"{os.path.basename(good)} cut to {length} of {len(data)} bytes"
    elif choice < 0.8:
        position = rng.randrange(len(data))
        bit = rng.randrange(8)
        data[position] ^= 1 << bit
        kind, description = "bit-flip", f"{os.path.basename(good)} bit {bit} of byte {position} flipped"
    else:
        flips = rng.randrange(2, 64)
        for _ in range(flips):
            data[rng.randrange(len(data))] = rng.getrandbits(8)
        kind, description = "bytes-random", f"{os.path.basename(good)} {flips} random bytes"
    target = os.path.join(out, f"{index:05d}-{kind}.h5")
    open(target, "wb").write(bytes(data))
    rows.append((os.path.basename(target), kind, description))
    index += 1

with open(os.path.join(out, "corpus.tsv"), "w") as table:
    for row in rows:
        table.write("\t".join(row) + "\n")
print(f"{len(rows)} inputs in {out} ({len({r[1] for r in rows})} kinds)")
