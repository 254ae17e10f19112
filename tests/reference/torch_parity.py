#!/usr/bin/env python3
"""PyTorch reference for noiselab.nn / noiselab.optim parity tests.

Usage: torch_parity.py DIR [DIR ...]   (one python start for many cases)
Each DIR holds cfg.json (written by tests/nn_spec.lua or tests/optim_spec.lua) and the inputs as
.npy files.  This script builds the same PyTorch module, loads the weights, runs it and writes
the results back into DIR as .npy files:

  layer cases  (cfg.case = "layer"):  x.npy, r.npy (upstream gradient), p_<name>.npy
      -> out.npy, gx.npy, g_<name>.npy     for L = sum(r * module(x))
  loss cases   (cfg.case = "loss"):   z.npy, y.npy (labels 1..C or targets), cfg.reduction
      -> loss.npy, gz.npy, per_sample.npy
  net cases    (cfg.case = "net"):    an nn.Sequential given as cfg.layers, x.npy, y.npy,
      cross-entropy loss -> loss.npy, out.npy, g_<name>.npy, gx.npy
  optimizer    (cfg.case = "optim"):  p0.npy, g1.npy .. gK.npy -> p1.npy .. pK.npy

Single thread, float32 (or float64 if cfg.dtype == "f64").  Nothing here is used by noiselab
itself: it only produces reference numbers.
"""
import json
import os
import sys

import numpy as np
import torch

torch.set_num_threads(1)


def load(d, name):
    return np.load(os.path.join(d, name + ".npy"))


def save(d, name, a):
    np.save(os.path.join(d, name + ".npy"), np.ascontiguousarray(a))


def make_layer(spec, dtype):
    kind = spec["kind"]
    spec = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
    if kind == "Linear":
        return torch.nn.Linear(spec["in"], spec["out"], bias=spec.get("bias", True), dtype=dtype)
    if kind == "Conv2d":
        return torch.nn.Conv2d(spec["in"], spec["out"], spec["k"], stride=spec.get("stride", 1),
                               padding=spec.get("padding", 0), bias=spec.get("bias", True),
                               dtype=dtype)
    if kind == "MaxPool2d":
        return torch.nn.MaxPool2d(spec["k"], stride=spec.get("stride"),
                                  padding=spec.get("padding", 0))
    if kind == "ReLU":
        return torch.nn.ReLU()
    if kind == "Tanh":
        return torch.nn.Tanh()
    if kind == "Sigmoid":
        return torch.nn.Sigmoid()
    if kind == "ELU":
        return torch.nn.ELU(alpha=spec.get("alpha", 1.0))
    if kind == "Flatten":
        return torch.nn.Flatten()
    raise ValueError("unknown layer " + kind)


def set_params(module, d, prefix):
    """Copy p_<prefix><name>.npy into each parameter (names as in noiselab: weight, bias)."""
    for name, p in module.named_parameters():
        with torch.no_grad():
            p.copy_(torch.from_numpy(load(d, "p_" + prefix + name)))


def run(d):
    with open(os.path.join(d, "cfg.json")) as f:
        cfg = json.load(f)
    dtype = torch.float64 if cfg.get("dtype") == "f64" else torch.float32
    case = cfg["case"]
    if case == "layer":
        m = make_layer(cfg["layer"], dtype)
        set_params(m, d, "")
        x = torch.from_numpy(load(d, "x")).to(dtype).requires_grad_(True)
        r = torch.from_numpy(load(d, "r")).to(dtype)
        out = m(x)
        (out * r).sum().backward()
        save(d, "out", out.detach().numpy())
        save(d, "gx", x.grad.numpy())
        for name, p in m.named_parameters():
            save(d, "g_" + name, p.grad.numpy())
    elif case == "loss":
        z = torch.from_numpy(load(d, "z")).to(dtype).requires_grad_(True)
        red = cfg["reduction"]
        if cfg["loss"] == "CrossEntropy":
            y = torch.from_numpy(load(d, "y")).long() - 1
            per = torch.nn.functional.cross_entropy(z, y, reduction="none")
            loss = torch.nn.functional.cross_entropy(z, y, reduction=red)
        else:
            t = torch.from_numpy(load(d, "y")).to(dtype)
            per = ((z - t) ** 2).reshape(z.shape[0], -1).sum(1)
            if red == "batchmean":
                loss = ((z - t) ** 2).sum() / z.shape[0]
            else:
                loss = torch.nn.functional.mse_loss(z, t, reduction=red)
        loss.backward()
        save(d, "loss", np.array([loss.item()]))
        save(d, "gz", z.grad.numpy())
        save(d, "per_sample", per.detach().numpy())
    elif case == "net":
        layers = [make_layer(s, dtype) for s in cfg["layers"]]
        net = torch.nn.Sequential(*layers)
        set_params(net, d, "")
        x = torch.from_numpy(load(d, "x")).to(dtype).requires_grad_(True)
        y = torch.from_numpy(load(d, "y")).long() - 1
        out = net(x)
        loss = torch.nn.functional.cross_entropy(out, y, reduction=cfg.get("reduction", "mean"))
        loss.backward()
        save(d, "loss", np.array([loss.item()]))
        save(d, "out", out.detach().numpy())
        save(d, "gx", x.grad.numpy())
        for name, p in net.named_parameters():
            save(d, "g_" + name, p.grad.numpy())
    elif case == "optim":
        p = torch.nn.Parameter(torch.from_numpy(load(d, "p0")).to(dtype))
        o = cfg["opts"]
        if cfg["optimizer"] == "SGD":
            opt = torch.optim.SGD([p], lr=o["lr"], momentum=o.get("momentum", 0),
                                  dampening=o.get("dampening", 0),
                                  weight_decay=o.get("weight_decay", 0),
                                  nesterov=o.get("nesterov", False))
        else:
            opt = torch.optim.Adam([p], lr=o["lr"], betas=tuple(o.get("betas", (0.9, 0.999))),
                                   eps=o.get("eps", 1e-8), weight_decay=o.get("weight_decay", 0))
        sched = None
        if "milestones" in cfg:
            sched = torch.optim.lr_scheduler.MultiStepLR(opt, cfg["milestones"], cfg["gamma"])
        for k in range(1, cfg["steps"] + 1):
            opt.zero_grad()
            p.grad = torch.from_numpy(load(d, "g%d" % k)).to(dtype)
            opt.step()
            if sched is not None:
                sched.step()
            save(d, "p%d" % k, p.detach().numpy())
    else:
        raise ValueError("unknown case " + case)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        run(arg)
