#!/usr/bin/env python3
"""The friction a damped mass-spring dataset itself carries, fitted two ways.

Usage: python3 scripts/spring-friction.py DATASET_DIR [DATASET_DIR ...]
       (datasets of `hnn generate damped-spring --seed S --out DIR`)

The system is dq/dt = p/m, dp/dt = -k q - gamma p/m (docs/DISSIPATIVE.md: D = -gamma T(p)), with
m = 0.5 and k = 2. The dataset's inputs carry Gaussian noise (std 0.1 in the manifest); its targets
are the exact derivatives at the states before the noise.

- Regression on the noisy inputs: dp/dt = a q + b p + c by least squares, gamma = -m b. Every model
  here (baseline, HNN, D-HNN) is such a regression, and input noise pulls its slopes towards zero
  (errors in variables), so this is about the friction a model of the true form takes from the rows.
- Errors in variables: the exact targets as regressors. With m and k unknown, the true form gives
  q = -(dp/dt + gamma dq/dt) / k, so q = a dp/dt + b dq/dt + c by least squares (the noise is now in
  the response only) and gamma = b / a. This is the friction the rows hold.

Standard errors are ordinary least squares' (the second by the delta method). Needs numpy only.
"""
import json
import sys
from pathlib import Path

import numpy as np

MASS = 0.5


def least_squares(design, response):
    """Coefficients and their covariance."""
    coef, *_ = np.linalg.lstsq(design, response, rcond=None)
    residual = response - design @ coef
    variance = residual @ residual / (len(response) - design.shape[1])
    return coef, variance * np.linalg.inv(design.T @ design)


def regression_fit(x, dx):
    """gamma and its standard error from dp/dt = a q + b p + c on the noisy inputs."""
    coef, cov = least_squares(np.c_[x, np.ones(len(x))], dx[:, 1])
    return -MASS * coef[1], MASS * np.sqrt(cov[1, 1])


def errors_in_variables_fit(x, dx):
    """gamma and its standard error from q = a dp/dt + b dq/dt + c, the exact targets as regressors."""
    coef, cov = least_squares(np.c_[dx[:, 1], dx[:, 0], np.ones(len(x))], x[:, 0])
    a, b = coef[0], coef[1]
    gradient = np.array([-b / a**2, 1 / a, 0.0])
    return b / a, np.sqrt(gradient @ cov @ gradient)


def main(dirs):
    for d in map(Path, dirs):
        manifest = json.loads((d / "manifest.json").read_text())
        params = manifest["params"]
        if params.get("system") != "spring" or not params.get("friction"):
            sys.exit(f"{d}: not a damped mass-spring dataset (params.system {params.get('system')!r}); make one with `hnn generate damped-spring`")
        for split in ("train", "test"):
            x = np.load(d / f"{split}X.npy").astype(np.float64)
            dx = np.load(d / f"{split}Dx.npy").astype(np.float64)
            g1, se1 = regression_fit(x, dx)
            g2, se2 = errors_in_variables_fit(x, dx)
            print(
                f"{d} seed {manifest['seed']} {split}: {len(x)} rows, friction {g1:.4f} +- {se1:.4f} by regression on the inputs, "
                f"{g2:.4f} +- {se2:.4f} with the targets as regressors (true {params['friction']})"
            )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip().splitlines()[2])
    main(sys.argv[1:])
