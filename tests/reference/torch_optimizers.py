"""Reference values for tests/train/optimizer_test.cpp: torch.optim.AdamW and SGD on two
parameters whose values and gradients follow fixed formulas, printed as JSON on stdout.

    p[i] = sin(0.1 * (i + 1)) for a [3, 4] matrix (decayed) and a [4] vector (not decayed)
    grad at step t (1-based), element i = cos(0.3 * (i + 1) * t) + 0.01 * t
"""
import json
import math

import torch


def gradient(shape, t):
    n = math.prod(shape)
    values = [math.cos(0.3 * (i + 1) * t) + 0.01 * t for i in range(n)]
    return torch.tensor(values, dtype=torch.float32).reshape(shape)


def initial(shape):
    n = math.prod(shape)
    return torch.tensor([math.sin(0.1 * (i + 1)) for i in range(n)], dtype=torch.float32).reshape(shape)


def run(make_optimizer, steps=5):
    matrix = torch.nn.Parameter(initial((3, 4)))
    vector = torch.nn.Parameter(initial((4,)))
    optimizer = make_optimizer(matrix, vector)
    for t in range(1, steps + 1):
        matrix.grad = gradient((3, 4), t)
        vector.grad = gradient((4,), t)
        optimizer.step()
    return {"matrix": matrix.detach().flatten().tolist(), "vector": vector.detach().flatten().tolist()}


adamw = run(lambda m, v: torch.optim.AdamW(
    [{"params": [m], "weight_decay": 0.1}, {"params": [v], "weight_decay": 0.0}],
    lr=0.01, betas=(0.9, 0.95), eps=1e-8))
sgd = run(lambda m, v: torch.optim.SGD(
    [{"params": [m], "weight_decay": 0.01}, {"params": [v], "weight_decay": 0.0}],
    lr=0.05, momentum=0.9))
print(json.dumps({"adamw": adamw, "sgd": sgd}))
