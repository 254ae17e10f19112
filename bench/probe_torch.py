#!/usr/bin/python3
"""Peer for bench/probe.lua: the Simsekli et al. (2019) pipeline as the authors' code does it
(umutsimsekli/sgd_tail_index main.py/utils.py): a bias-free 784-W-W-10 ReLU net trained by
plain SGD (lr 0.1, batch 100, fixed order) for STEPS steps on Fashion-MNIST, then, in eval mode
over the training set in fixed minibatches of 100, every minibatch gradient is stored, the full
gradient is their mean, and the Mohammadi estimator runs on the flattened P x M noise matrix
(K1 = largest divisor of N not above sqrt(N)).  One thread.

Prints the pipeline rate (pipelines/s) on the last line; details on stderr.
Usage: OMP_NUM_THREADS=1 /usr/bin/python3 bench/probe_torch.py [steps] [width] [n_train]
"""
import gzip
import math
import os
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
width = int(sys.argv[2]) if len(sys.argv) > 2 else 256
ntrain = int(sys.argv[3]) if len(sys.argv) > 3 else 60000
d = os.environ.get("NOISELAB_DATA", "/usr/share/datasets/fashion-mnist")


def idx(name):
    with gzip.open(os.path.join(d, name), "rb") as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


X = torch.tensor(((idx("train-images-idx3-ubyte.gz")[:ntrain].reshape(ntrain, 784) / 255.0
                   - 0.2860) / 0.3530).astype(np.float32))
Y = torch.tensor(idx("train-labels-idx1-ubyte.gz")[:ntrain].astype(np.int64))

torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Linear(784, width, bias=False), torch.nn.ReLU(),
    torch.nn.Linear(width, width, bias=False), torch.nn.ReLU(),
    torch.nn.Linear(width, 10, bias=False))
crit = torch.nn.CrossEntropyLoss()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
B = 100
P = ntrain // B

t0 = time.perf_counter()
net.train()
for i in range(steps):
    k = i % P
    x, y = X[k * B:(k + 1) * B], Y[k * B:(k + 1) * B]
    opt.zero_grad()
    loss = crit(net(x), y)
    loss.backward()
    opt.step()
t1 = time.perf_counter()

net.eval()
grads = []
for k in range(P):
    opt.zero_grad()
    loss = crit(net(X[k * B:(k + 1) * B]), Y[k * B:(k + 1) * B])
    loss.backward()
    grads.append(torch.cat([p.grad.view(-1) for p in net.parameters()]))
M = len(grads[0])
G = torch.cat(grads).view(-1, M)
mean_grad = G.sum(0) / P
N = M * P
m = 1
for i in range(1, 1 + int(math.sqrt(N))):
    if N % i == 0:
        m = i
Xn = (G - mean_grad).view(-1, 1)
n = N // m
Yb = torch.sum(Xn.view(n, m, -1), 1)
eps = np.spacing(1)
alpha = 1 / ((torch.log(Yb.norm(dim=1) + eps).mean() - torch.log(Xn.norm(dim=1) + eps).mean())
             / math.log(m))
t2 = time.perf_counter()
print("train %.3f s, alpha %.3f s, alpha_hat %.6f, final loss %.4f, P %d, M %d"
      % (t1 - t0, t2 - t1, float(alpha), float(loss), P, M), file=sys.stderr)
print("%.6g" % (1.0 / (t2 - t0)))
