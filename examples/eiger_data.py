#!/usr/bin/python3
"""Makes an Eiger-style series for examples/eiger.xdml: a master file whose /entry/data/data
links (an HDF5 virtual layout is not needed: one external link per data file, as DECTRIS
writes them, under /entry/data/data_000001 ...) — here the master file holds one dataset,
/entry/data/data, that is an external link to the first data file, and each further data file
has a master of its own. Frames: 256x256 u32 photon counts (Poisson, mean 2), every fifth one a
"hit" with a few hundred bright spots; bitshuffle-LZ4, one chunk per frame.

    python3 examples/eiger_data.py FOLDER [--series 2] [--frames 20]"""
import argparse
import os

import bitshuffle.h5
import h5py
import numpy as np


def frames(n, seed):
    rng = np.random.default_rng(seed)
    data = rng.poisson(2.0, size=(n, 256, 256)).astype(np.uint32)
    for i in range(0, n, 5):  # a hit: Bragg spots, bright pixels in clusters
        ys, xs = rng.integers(4, 252, size=(2, 60))
        for y, x in zip(ys, xs):
            data[i, y - 1:y + 2, x - 1:x + 2] += rng.integers(20, 200, size=(3, 3)).astype(np.uint32)
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--series", type=int, default=2)
    ap.add_argument("--frames", type=int, default=20)
    args = ap.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    for s in range(1, args.series + 1):
        data_name = f"run{s:03d}_data_000001.h5"
        with h5py.File(os.path.join(args.folder, data_name), "w") as f:
            f.create_dataset("/entry/data/data", data=frames(args.frames, s), chunks=(1, 256, 256),
                             compression=bitshuffle.h5.H5FILTER, compression_opts=(0, bitshuffle.h5.H5_COMPRESS_LZ4))
        with h5py.File(os.path.join(args.folder, f"run{s:03d}_master.h5"), "w") as f:
            f["/entry/data/data"] = h5py.ExternalLink(data_name, "/entry/data/data")
            f["/entry/instrument/detector/description"] = "Eiger-style test series (examples/eiger_data.py)"
    print(f"{args.series} series of {args.frames} frames in {args.folder}")


if __name__ == "__main__":
    main()
