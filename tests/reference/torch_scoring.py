#!/usr/bin/python3
"""PyTorch reference values for bytegrad's per-token log-probabilities and entropy
(tests/infer/token_log_probs_test.cpp).

Writes, for a few cases of float64 logits [B, T, V] and labels [B, T], torch's
log_softmax(logits).gather(labels) and -sum(p * log p), and the gradients of
sum(log_probs * w_lp) + sum(entropy * w_ent) with respect to the logits for fixed random
weights, so every output element sends back a distinct gradient. One case has logits of
magnitude ~1000, where a softmax taken before the log would overflow.

Usage: /usr/bin/python3 torch_scoring.py OUTPUT.json
"""
import json
import sys

import torch
import torch.nn.functional as F

SEED = 20261123


def flat(tensor):
    return tensor.detach().reshape(-1).tolist()


def case(generator, batch, time, vocab, scale):
    logits = scale * torch.randn(batch, time, vocab, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, vocab, (batch, time), generator=generator)
    w_lp = torch.randn(batch, time, generator=generator, dtype=torch.float64)
    w_ent = torch.randn(batch, time, generator=generator, dtype=torch.float64)
    logits.requires_grad_(True)
    log_probs_all = F.log_softmax(logits, dim=-1)
    log_probs = log_probs_all.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    entropy = -(log_probs_all.exp() * log_probs_all).sum(-1)
    ((log_probs * w_lp).sum() + (entropy * w_ent).sum()).backward()
    return {
        "shape": [batch, time, vocab],
        "logits": flat(logits),
        "labels": flat(labels),
        "w_log_probs": flat(w_lp),
        "w_entropy": flat(w_ent),
        "log_probs": flat(log_probs),
        "entropy": flat(entropy),
        "grad_logits": flat(logits.grad),
    }


def main():
    generator = torch.Generator().manual_seed(SEED)
    cases = {
        "small": case(generator, 2, 3, 7, 1.0),
        "wide": case(generator, 1, 4, 50, 3.0),
        "large_logits": case(generator, 2, 2, 5, 1000.0),
    }
    with open(sys.argv[1], "w") as out:
        json.dump(cases, out)


if __name__ == "__main__":
    main()
