"""PyTorch reference for T-Free's embedding bag and multi-label loss, composed as the original
T-Free code does: torch.nn.functional.embedding over the [N, m] trigram ids, a sum or mean over m,
index_add_ onto the word positions (divided by the trigram count when normalising); and
binary_cross_entropy_with_logits against the dense binary pattern with per-row weights,
pos_weight and mean reduction, times loss_scale.

Usage: torch_tfree_ops.py INPUT.json OUTPUT.json. The input holds float64 weight/logits and the
index tensors; the output holds each op's value and the gradient of sum(out * upstream)."""
import json
import sys

import torch


def embedding_bag(case):
    weight = torch.tensor(case["weight"], dtype=torch.float64, requires_grad=True)
    ids = torch.tensor(case["ids"], dtype=torch.int64)
    offsets = case["offsets"]
    rows = torch.nn.functional.embedding(ids, weight)  # [N, m, h]
    per_item = rows.mean(dim=1) if case["mean"] else rows.sum(dim=1)
    words = len(offsets) - 1
    word_of_item = torch.tensor(
        [w for w in range(words) for _ in range(offsets[w], offsets[w + 1])], dtype=torch.int64)
    out = torch.zeros(words, weight.shape[1], dtype=torch.float64)
    out = out.index_add(0, word_of_item, per_item)
    if case["normalize"]:
        counts = torch.tensor([max(offsets[w + 1] - offsets[w], 1) for w in range(words)],
                              dtype=torch.float64)
        out = out / counts[:, None]
    upstream = torch.tensor(case["upstream"], dtype=torch.float64)
    (out * upstream).sum().backward()
    return {"out": out.tolist(), "grad": weight.grad.tolist()}


def multilabel_bce(case):
    logits = torch.tensor(case["logits"], dtype=torch.float64, requires_grad=True)
    ids, offsets = case["target_ids"], case["target_offsets"]
    target = torch.zeros_like(logits)
    for w in range(logits.shape[0]):
        for i in range(offsets[w], offsets[w + 1]):
            target[w, ids[i]] += 1
    target = target.clamp(max=1)  # as the original: int8 counts clamped to 1
    weights = torch.tensor(case["weights"], dtype=torch.float64)
    pos_weight = torch.full((logits.shape[1],), case["pos_weight"], dtype=torch.float64)
    loss = case["loss_scale"] * torch.nn.functional.binary_cross_entropy_with_logits(
        logits, target, weight=weights[:, None], pos_weight=pos_weight, reduction="mean")
    loss.backward()
    return {"loss": loss.item(), "grad": logits.grad.tolist()}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    result = {"embedding_bag": [embedding_bag(c) for c in cases["embedding_bag"]],
              "multilabel_bce": [multilabel_bce(c) for c in cases["multilabel_bce"]]}
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
