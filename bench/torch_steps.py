#!/usr/bin/env python3
"""The PyTorch peer of `npm run bench` (src/pipeline/bench.ts): the same three training steps with
the same shapes, losses and Adam settings, timed step by step on request so that the Node side can
alternate blocks of its own steps with blocks of these.

Protocol: one command per line on stdin, one JSON object per line on stdout.
    info                 torch and machine facts, and the BLAS library the process loaded
    matmul               raw matMul speed of this torch build
    setup <step>         builds a step: spring, twobody, pixel (the paper's one-step loss) or
                         pixel<K> (the K-frame window loss with Euler latent steps) or
                         pixel<K>-leapfrog (with leapfrog steps; the default is pixel4-leapfrog)
    run <step> <n>       runs n steps; {"ms": [per-step milliseconds], "loss": last loss}
    quit
Errors come back as {"error": "..."}. Needs Python 3 and torch only.
"""
import json
import os
import platform
import re
import sys
import time

import torch
from torch import nn


def tanh_mlp(sizes):
    """Linear + tanh per hidden layer, a linear output layer without bias (the reference's MLP)."""
    layers = []
    for i in range(len(sizes) - 2):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.Tanh()]
    layers.append(nn.Linear(sizes[-2], sizes[-1], bias=False))
    return nn.Sequential(*layers)


def symplectic_field(h_of, x):
    """dx/dt = (dH/dp, -dH/dq) for x = (q, p), differentiable in the weights (create_graph)."""
    dh = torch.autograd.grad(h_of(x).sum(), x, create_graph=True)[0]
    k = x.shape[1] // 2
    return torch.cat([dh[:, k:], -dh[:, :k]], 1)


def state_step(dim, rows, batch, weight_decay):
    """HNN on random states: loss mean((S grad H - y)^2); full batch or a fresh permutation each step."""
    net = tanh_mlp([dim, 200, 200, 1])
    params = list(net.parameters())
    opt = torch.optim.Adam(params, lr=1e-3, eps=1e-8, weight_decay=weight_decay)  # coupled L2
    x = torch.randn(rows, dim)
    y = torch.randn(rows, dim)

    def step():
        if batch is None:
            xb, yb = x, y
        else:
            idx = torch.randperm(rows)[:batch]
            xb, yb = x[idx], y[idx]
        xb = xb.detach().requires_grad_(True)
        loss = ((symplectic_field(net, xb) - yb) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward(inputs=params)  # the weights only, as our step
        opt.step()
        return loss.item()

    return step


class Autoencoder(nn.Module):
    """The residual ReLU MLP autoencoder of models/autoencoder.ts (every layer with bias)."""

    def __init__(self, n=1568, h=200, d=2):
        super().__init__()
        self.enc = nn.ModuleList([nn.Linear(n, h), nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, d)])
        self.dec = nn.ModuleList([nn.Linear(d, h), nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, n)])

    @staticmethod
    def trunk(layers, x):
        h = torch.relu(layers[0](x))
        h = h + torch.relu(layers[1](h))
        h = h + torch.relu(layers[2](h))
        return layers[3](h)

    def encode(self, x):
        return self.trunk(self.enc, x)

    def decode(self, z):
        return self.trunk(self.dec, z)


def pixel_model(n):
    """The autoencoder, the latent HNN, and Adam with this project's weight decays: 1e-5 on the
    autoencoder, 1e-5 x 0.1 on the latent model."""
    ae = Autoencoder(n)
    hnn = tanh_mlp([2, 200, 200, 1])
    opt = torch.optim.Adam(
        [{"params": list(ae.parameters()), "weight_decay": 1e-5}, {"params": list(hnn.parameters()), "weight_decay": 1e-6}],
        lr=1e-3,
        eps=1e-8,
    )
    return ae, hnn, list(ae.parameters()) + list(hnn.parameters()), opt


def pixel_update(opt, params, recon, consistency, latent):
    """One Adam update of the joint loss recon + consistency + 0.1 latent; returns its value."""
    total = recon + consistency + 0.1 * latent
    opt.zero_grad(set_to_none=True)
    total.backward(inputs=params)
    opt.step()
    return total.item()


# The pixel steps draw their batch afresh every step from a train split of the protocol's size (160
# trials of 100 pairs, as src/pipeline/bench/steps.ts and training do): the gather is part of the
# step a training loop runs, and its memory traffic is part of what the step costs.
TRIALS, PER_TRIAL = 160, 100


def pixel_split(n):
    """Random pairs and their next pairs, [TRIALS * PER_TRIAL, n] each."""
    return torch.rand(TRIALS * PER_TRIAL, n), torch.rand(TRIALS * PER_TRIAL, n)


def window_starts(count, K):
    """count window starts drawn without replacement among the rows with K pairs left in their trial."""
    per = PER_TRIAL - K + 1
    i = torch.randperm(TRIALS * per)[:count]
    return (i // per) * PER_TRIAL + i % per


def pixel_step(batch=200, frame=28):
    """The joint step of models/pixel.ts: recon + consistency + 0.1 latent HNN (Euler, dt 1)."""
    n = 2 * frame * frame
    ae, hnn, params, opt = pixel_model(n)
    data, data_next = pixel_split(n)

    def step():
        rows = window_starts(batch, 1)
        x, x_next = data[rows], data_next[rows]
        z_all = ae.encode(torch.cat([x, x_next], 0))  # one encoder pass over both batches
        z, z_next = z_all[:batch], z_all[batch:]
        recon = ((x - ae.decode(z)) ** 2).mean()
        q, p, q_next = z[:, :1], z[:, 1:], z_next[:, :1]
        consistency = ((p - (q_next - q)) ** 2).mean()
        latent = ((z_next - (z + symplectic_field(hnn, z))) ** 2).mean()
        return pixel_update(opt, params, recon, consistency, latent)

    return step


def leapfrog_step(hnn, zeta):
    """Kick-drift-kick on zeta = (q, p) at h = 1 (models/pixel.ts latentStep): three field passes."""
    k = zeta.shape[1] // 2
    q, p = zeta[:, :k], zeta[:, k:]
    p_half = p + 0.5 * symplectic_field(hnn, zeta)[:, k:]
    q_new = q + symplectic_field(hnn, torch.cat([q, p_half], 1))[:, :k]
    p_new = p_half + 0.5 * symplectic_field(hnn, torch.cat([q_new, p_half], 1))[:, k:]
    return torch.cat([q_new, p_new], 1)


def euler_step(hnn, zeta):
    return zeta + symplectic_field(hnn, zeta)


def pixel_window_step(windows=80, K=4, frame=28, latent_step=euler_step):
    """A K-frame pixel step (models/pixel.ts windowLoss): windows of K + 1 consecutive pairs, the
    decoder on pairs 0..K-1, consistency on each of them, and a K-step latent rollout (Euler or
    leapfrog) from pair 0 compared with the encoded pairs 1..K. 80 windows of 5 pairs: 400 encoder
    rows, as the one-step loss's 2 x 200."""
    n = 2 * frame * frame
    ae, hnn, params, opt = pixel_model(n)
    data, data_next = pixel_split(n)

    def step():
        r = window_starts(windows, K)
        # pair j of window i at row j * windows + i: pairs r + j, then the next pair of r + K - 1
        pairs = torch.cat([data[r + j] for j in range(K)] + [data_next[r + K - 1]])
        z_all = ae.encode(pairs)
        z = [z_all[j * windows : (j + 1) * windows] for j in range(K + 1)]
        recon = ((pairs[: K * windows] - ae.decode(z_all[: K * windows])) ** 2).mean()
        consistency = torch.cat([z[j][:, 1:] - (z[j + 1][:, :1] - z[j][:, :1]) for j in range(K)]).pow(2).mean()
        zeta, errors = z[0], []
        for j in range(1, K + 1):
            zeta = latent_step(hnn, zeta)
            errors.append(z[j] - zeta)
        latent = torch.cat(errors).pow(2).mean()
        return pixel_update(opt, params, recon, consistency, latent)

    return step


BUILDERS = {
    "spring": lambda: state_step(2, 750, None, 1e-4),
    "twobody": lambda: state_step(8, 40000, 200, 0.0),
    "pixel": pixel_step,
}


def build(name):
    """A step by name; pixel<K>[-leapfrog] is the K-frame window step, as many windows as keep 400 encoder rows."""
    window = re.fullmatch(r"pixel(\d+)(-leapfrog)?", name)
    if window and int(window.group(1)) > 1:
        K = int(window.group(1))
        step = leapfrog_step if window.group(2) else euler_step
        return pixel_window_step(windows=max(1, 400 // (K + 1)), K=K, latent_step=step)
    return BUILDERS[name]()


def loaded_blas():
    """The BLAS library this process actually mapped (torch's build flag BLAS_INFO names the build,
    not the library loaded at run time): from threadpoolctl where installed, else /proc/self/maps."""
    try:
        from threadpoolctl import threadpool_info  # noqa: PLC0415 - optional

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return {"library": pool.get("internal_api"), "path": pool.get("filepath"), "threads": pool.get("num_threads")}
    except ImportError:
        pass
    try:
        with open("/proc/self/maps", encoding="utf8") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return {"library": None, "path": None, "threads": None}
    for name, pattern in [("openblas", r"openblas"), ("mkl", r"libmkl"), ("blis", r"libblis"), ("reference (netlib)", r"/blas/libblas\.so|libblas\.so\.3$")]:
        hits = sorted(p for p in paths if re.search(pattern, p))
        if hits:
            return {"library": name, "path": hits[0], "threads": None}
    return {"library": None, "path": None, "threads": None}


def info():
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=([^,\s]+)", config)
    capability = re.search(r"CPU capability usage: (\S+)", config)
    torch.randn(8, 8) @ torch.randn(8, 8)  # loads the BLAS before looking for it
    return {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "blasBuild": blas.group(1) if blas else None,
        "blasLoaded": loaded_blas(),
        "openblasThreadsEnv": os.environ.get("OPENBLAS_NUM_THREADS"),
        "cpuCapability": capability.group(1) if capability else None,
        "mkldnn": torch.backends.mkldnn.is_available(),
    }


def matmul():
    """Median time of a @ b for the shapes that dominate the steps; GFLOP/s = 2 m k n / time."""
    out = {}
    for m, k, n in [(750, 200, 200), (400, 1568, 200)]:
        a, b = torch.randn(m, k), torch.randn(k, n)
        for _ in range(3):
            a @ b
        times = []
        for _ in range(30):
            t = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - t)
        times.sort()
        s = times[len(times) // 2]
        out[f"{m}x{k}x{n}"] = {"ms": s * 1e3, "gflops": 2 * m * k * n / s / 1e9}
    return out


def main():
    torch.manual_seed(0)
    steps = {}
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        try:
            if cmd[0] == "quit":
                break
            if cmd[0] == "info":
                reply = info()
            elif cmd[0] == "matmul":
                reply = matmul()
            elif cmd[0] == "setup":
                steps[cmd[1]] = build(cmd[1])
                reply = {"ok": True}
            elif cmd[0] == "run":
                step, ms, loss = steps[cmd[1]], [], None
                for _ in range(int(cmd[2])):
                    t = time.perf_counter()
                    loss = step()
                    ms.append((time.perf_counter() - t) * 1e3)
                reply = {"ms": ms, "loss": loss}
            else:
                reply = {"error": f"unknown command {cmd[0]}"}
        except Exception as e:  # noqa: BLE001 - every failure goes back to the caller as one line
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].isdigit():
        torch.set_num_threads(int(sys.argv[1]))
    main()
