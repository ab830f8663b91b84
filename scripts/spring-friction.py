#!/usr/bin/env python3
"""The friction a damped mass-spring dataset itself carries, by least squares.

Usage: python3 scripts/spring-friction.py DATASET_DIR [DATASET_DIR ...]
       (datasets of `hnn generate damped-spring --seed S --out DIR`)

The system is dq/dt = p/m, dp/dt = -k q - gamma p/m (docs/DISSIPATIVE.md: D = -gamma T(p)), with
m = 0.5 and k = 2. Fitting dp/dt = a q + b p + c over a split's rows gives gamma = -m b: the best any
model of the true form can take from those rows. Its standard error (ordinary least squares) says
how far a split's own friction may lie from the true one: the inputs carry Gaussian noise (std 0.1
in the manifest), which enters the fit as noise in dp/dt of about k * 0.1. Needs numpy only.
"""
import json
import sys
from pathlib import Path

import numpy as np

MASS = 0.5


def fit(x, dx):
    """gamma and its standard error from dp/dt = a q + b p + c."""
    design = np.c_[x, np.ones(len(x))]
    coef, *_ = np.linalg.lstsq(design, dx[:, 1], rcond=None)
    residual = dx[:, 1] - design @ coef
    variance = residual @ residual / (len(x) - design.shape[1])
    cov = variance * np.linalg.inv(design.T @ design)
    return -MASS * coef[1], MASS * np.sqrt(cov[1, 1])


def main(dirs):
    for d in map(Path, dirs):
        manifest = json.loads((d / "manifest.json").read_text())
        params = manifest["params"]
        if params.get("system") != "spring" or not params.get("friction"):
            sys.exit(f"{d}: not a damped mass-spring dataset (params.system {params.get('system')!r}); make one with `hnn generate damped-spring`")
        for split in ("train", "test"):
            x, dx = np.load(d / f"{split}X.npy"), np.load(d / f"{split}Dx.npy")
            gamma, se = fit(x, dx)
            print(f"{d} seed {manifest['seed']} {split}: {len(x)} rows, friction {gamma:.4f} +- {se:.4f} (true {params['friction']})")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip().splitlines()[2])
    main(sys.argv[1:])
