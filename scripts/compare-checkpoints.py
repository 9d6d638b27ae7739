"""Compares two HDF5 files dataset by dataset and attribute by attribute, bit for bit, with h5py.

usage: compare-checkpoints.py A.h5 B.h5
Prints "identical" and exits 0, or one line per difference and exits 1. The wall-clock fields are
skipped: the root attribute `created_utc` and `/training`'s `seconds` (docs/checkpoint-format.md).
"""
import sys

import h5py
import numpy as np

WALL_CLOCK = {("/", "created_utc"), ("/training", "seconds")}


def contents(path):
    """{object path: (kind, value)} and {(object path, attribute): value} of every object."""
    objects, attributes = {}, {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            key = "/" + name if name else "/"
            if isinstance(obj, h5py.Dataset):
                objects[key] = ("dataset", str(obj.dtype), obj.shape, obj[()].tobytes(),
                                obj.chunks, obj.fletcher32)
            else:
                objects[key] = ("group",)
            for attribute, value in obj.attrs.items():
                if (key, attribute) not in WALL_CLOCK:
                    attributes[(key, attribute)] = np.asarray(value).tobytes() if not isinstance(value, str) else value
        visit("", f)
        f.visititems(visit)
    return objects, attributes


def main():
    a_objects, a_attributes = contents(sys.argv[1])
    b_objects, b_attributes = contents(sys.argv[2])
    differences = []
    for key in sorted(set(a_objects) | set(b_objects)):
        if a_objects.get(key) != b_objects.get(key):
            differences.append(f"{key}: differs" if key in a_objects and key in b_objects
                               else f"{key}: only in {'A' if key in a_objects else 'B'}")
    for key in sorted(set(a_attributes) | set(b_attributes)):
        if a_attributes.get(key) != b_attributes.get(key):
            differences.append(f"{key[0]} attribute {key[1]}: {a_attributes.get(key)!r} vs {b_attributes.get(key)!r}")
    print("\n".join(differences) if differences else
          f"identical ({len(a_objects)} objects, {len(a_attributes)} attributes; wall-clock fields skipped)")
    sys.exit(1 if differences else 0)


main()
