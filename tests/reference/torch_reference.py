#!/usr/bin/python3
"""PyTorch reference values for bytegrad's autograd parity test (tests/autograd/torch_parity_test.cpp).

Each case builds one computation with torch from a fixed seed, evaluates it, and records the
gradient of sum(output * w) with respect to every differentiable input, where w is a fixed random
tensor of the output's shape (so every output element gets a distinct upstream gradient, which a
plain sum would not give). The C++ test rebuilds the same computation by case name, so a case's
operator arguments (dims, k, eps, ...) live in the code on both sides and only tensors travel in
the JSON file.

Usage: /usr/bin/python3 torch_reference.py OUTPUT.json
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

SEED = 20240611


class Builder:
    """Draws the inputs of the cases from one seeded generator, in a fixed order."""

    def __init__(self, seed):
        self.generator = torch.Generator().manual_seed(seed)

    def normal(self, *shape):
        return torch.randn(tuple(shape), generator=self.generator, dtype=torch.float64)

    def uniform(self, low, high, *shape):
        unit = torch.rand(tuple(shape), generator=self.generator, dtype=torch.float64)
        return low + (high - low) * unit

    def integers(self, high, *shape):
        return torch.randint(0, high, shape, generator=self.generator, dtype=torch.int64)

    def mask(self, *shape):
        return torch.rand(tuple(shape), generator=self.generator) < 0.5


def flat(tensor):
    return tensor.detach().reshape(-1).tolist()


def encode_input(value, differentiable):
    if value.dtype == torch.bool:
        return {"kind": "bool", "shape": list(value.shape), "data": flat(value), "requires_grad": False}
    if value.dtype == torch.int64:
        return {"kind": "int", "shape": list(value.shape), "data": flat(value), "requires_grad": False}
    return {"kind": "float", "shape": list(value.shape), "data": flat(value),
            "requires_grad": differentiable}


def run_case(builder, name, inputs, function, dtype=torch.float64):
    """inputs: list of (tensor, differentiable). float64 cases record gradients; float32 cases
    are forward-only (their inputs are rounded to float32 first, so both sides start equal)."""
    prepared = []
    for value, differentiable in inputs:
        if value.is_floating_point():
            value = value.to(dtype).detach().requires_grad_(differentiable and dtype == torch.float64)
        prepared.append(value)
    output = function(*prepared)
    weight = builder.normal(*output.shape).to(dtype)
    record = {
        "name": name,
        "dtype": "float64" if dtype == torch.float64 else "float32",
        "inputs": [encode_input(value, value.requires_grad) for value in prepared],
        "weight": {"shape": list(weight.shape), "data": flat(weight)},
        "output": {"shape": list(output.shape), "data": flat(output.to(torch.float64))},
        "grads": [],
    }
    differentiable_inputs = [(i, v) for i, v in enumerate(prepared) if v.requires_grad]
    if differentiable_inputs:
        grads = torch.autograd.grad((output * weight).sum(), [v for _, v in differentiable_inputs])
        for (index, _), grad in zip(differentiable_inputs, grads):
            record["grads"].append({"input": index, "shape": list(grad.shape), "data": flat(grad)})
    return record


def layer_norm(x, w, b, eps=1e-5):
    # The composition the C++ side spells out: biased variance over the last dim.
    mean = x.mean(dim=-1, keepdim=True)
    variance = x.var(dim=-1, keepdim=True, correction=0)
    return (x - mean) / torch.sqrt(variance + eps) * w + b


def cross_entropy(logits, targets):
    picked = torch.gather(torch.log_softmax(logits, -1), 1, targets.unsqueeze(1))
    return -picked.mean()


def grouped_causal_attention(q, k, v):
    # Query heads sharing key/value heads (repeat_kv), the T queries at the end of S positions.
    group, t, s = q.shape[1] // k.shape[1], q.shape[-2], k.shape[-2]
    k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    future = torch.triu(torch.ones(t, s, dtype=torch.bool), diagonal=s - t + 1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), -1) @ v


def causal_attention(q, k, v):
    # Scaled dot-product attention with a causal mask, written out of primitive ops.
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    future = torch.triu(torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool), diagonal=1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), -1) @ v


def build_cases():
    g = Builder(SEED)
    n, u, ints, mask = g.normal, g.uniform, g.integers, g.mask
    cases = []

    def add(name, inputs, function, dtype=torch.float64):
        cases.append(run_case(g, name, inputs, function, dtype))

    # Broadcasting binary ops: the gradient must be summed back to each operand's shape.
    add("add_broadcast", [(n(2, 3, 4), True), (n(3, 1), True)], lambda a, b: a + b)
    add("sub_broadcast", [(n(4), True), (n(3, 1), True)], lambda a, b: a - b)
    add("mul_broadcast", [(n(4, 1, 3), True), (n(2, 3), True)], lambda a, b: a * b)
    add("div_broadcast", [(n(2, 3), True), (u(0.5, 2.0, 3), True)], lambda a, b: a / b)
    add("scalar_arithmetic", [(u(0.5, 2.0, 3, 4), True)], lambda x: (2.0 - x * 3.0) / (1.5 + x) + 4.0 / x)
    add("maximum_broadcast", [(n(3, 4), True), (n(4), True)], torch.maximum)
    add("minimum_broadcast", [(n(3, 4), True), (n(3, 1), True)], torch.minimum)
    add("pow_tensor_tensor", [(u(0.5, 2.0, 3, 4), True), (n(3, 4), True)], torch.pow)
    add("pow_scalar_exponent", [(u(0.5, 2.0, 3, 4), True)], lambda x: x.pow(3.0) + x.pow(-0.5))

    # Products.
    add("matmul_2d", [(n(3, 4), True), (n(4, 5), True)], torch.matmul)
    add("matmul_batched_broadcast", [(n(2, 1, 3, 4), True), (n(3, 4, 5), True)], torch.matmul)
    add("matmul_transposed_operand", [(n(3, 4), True), (n(5, 4), True)], lambda a, b: a @ b.t())
    add("matmul_matrix_vector", [(n(2, 3, 4), True), (n(4), True)], torch.matmul)
    add("matmul_vector_vector", [(n(5), True), (n(5), True)], torch.matmul)

    # Unary functions.
    add("gelu_exact", [(n(3, 5) * 2, True)], lambda x: F.gelu(x))
    add("gelu_tanh", [(n(3, 5) * 2, True)], lambda x: F.gelu(x, approximate="tanh"))
    add("silu", [(n(3, 5) * 2, True)], F.silu)
    add("sigmoid", [(n(3, 5) * 2, True)], torch.sigmoid)
    add("tanh", [(n(3, 5), True)], torch.tanh)
    add("relu", [(n(3, 5), True)], torch.relu)
    add("exp", [(n(3, 4), True)], torch.exp)
    add("log", [(u(0.2, 3.0, 3, 4), True)], torch.log)
    add("sqrt", [(u(0.2, 3.0, 3, 4), True)], torch.sqrt)
    add("rsqrt", [(u(0.2, 3.0, 3, 4), True)], torch.rsqrt)
    add("abs", [(n(3, 4), True)], torch.abs)
    add("square_neg", [(n(3, 4), True)], lambda x: -torch.square(x))
    add("clamp", [(n(4, 5), True)], lambda x: torch.clamp(x, -0.5, 0.7))

    # Softmax family and reductions.
    add("softmax_last_dim", [(n(3, 5) * 3, True)], lambda x: torch.softmax(x, -1))
    add("softmax_middle_dim", [(n(2, 4, 3), True)], lambda x: torch.softmax(x, 1))
    add("log_softmax_last_dim", [(n(3, 5) * 3, True)], lambda x: torch.log_softmax(x, -1))
    add("log_softmax_first_dim", [(n(4, 3), True)], lambda x: torch.log_softmax(x, 0))
    add("logsumexp_dim", [(n(3, 4, 5), True)], lambda x: torch.logsumexp(x, 1))
    add("logsumexp_dims_keepdim", [(n(3, 4, 5), True)], lambda x: torch.logsumexp(x, (0, 2), keepdim=True))
    add("var_unbiased_dim", [(n(3, 5), True)], lambda x: torch.var(x, 1))
    add("var_correction0_dims_keepdim", [(n(2, 3, 4), True)],
        lambda x: torch.var(x, (0, 2), correction=0, keepdim=True))
    add("var_all", [(n(3, 4), True)], lambda x: torch.var(x))
    add("sum_dims_keepdim", [(n(2, 3, 4), True)], lambda x: torch.sum(x, (0, 2), keepdim=True))
    add("sum_all", [(n(2, 3), True)], lambda x: torch.sum(x))
    add("mean_dims_keepdim", [(n(2, 3, 4), True)], lambda x: torch.mean(x, (1, 2), keepdim=True))
    add("mean_dim_negative", [(n(2, 3, 4), True)], lambda x: torch.mean(x, -1))
    add("max_dim_values", [(n(3, 5), True)], lambda x: torch.max(x, 1)[0])
    add("max_dim_values_keepdim", [(n(3, 4, 2), True)], lambda x: torch.max(x, 1, keepdim=True)[0])
    add("min_dim_values", [(n(4, 3), True)], lambda x: torch.min(x, 0)[0])
    add("max_dim_indices", [(n(3, 5), False)], lambda x: torch.max(x, 1)[1])
    add("max_all", [(n(3, 4), True)], torch.max)
    add("cumsum_dim1", [(n(3, 4), True)], lambda x: torch.cumsum(x, 1))
    add("cumsum_dim0", [(n(3, 4, 2), True)], lambda x: torch.cumsum(x, 0))
    add("topk_values", [(n(3, 6), True)], lambda x: torch.topk(x, 2, -1)[0])
    add("topk_smallest_dim0", [(n(5, 3), True)], lambda x: torch.topk(x, 3, 0, largest=False)[0])
    add("sort_descending_values", [(n(3, 5), True)], lambda x: torch.sort(x, -1, descending=True)[0])

    # Indexing and masking; duplicate indices make the backward accumulate.
    add("gather_dim1", [(n(3, 5), True), (torch.tensor([[0, 4], [2, 2], [1, 0]]), False)],
        lambda x, index: torch.gather(x, 1, index))
    add("gather_dim0", [(n(4, 3), True), (ints(4, 2, 3), False)], lambda x, index: torch.gather(x, 0, index))
    add("embedding", [(n(6, 4), True), (torch.tensor([[1, 5, 1], [0, 3, 5]]), False)],
        lambda weight, ids: F.embedding(ids, weight))
    add("index_select", [(n(5, 3), True), (torch.tensor([4, 0, 4, 2]), False)],
        lambda x, index: torch.index_select(x, 0, index))
    add("scatter_add", [(n(3, 4), True), (torch.tensor([[0, 1, 0], [3, 3, 2], [1, 0, 1]]), False),
                        (n(3, 3), True)],
        lambda x, index, src: torch.scatter_add(x, 1, index, src))
    add("index_add", [(n(4, 3), True), (torch.tensor([0, 2, 0]), False), (n(3, 3), True)],
        lambda x, index, src: torch.index_add(x, 0, index, src))
    add("where_broadcast", [(mask(3, 4), False), (n(3, 4), True), (n(4), True)], torch.where)
    add("masked_fill_broadcast", [(n(3, 4), True), (mask(1, 4), False)],
        lambda x, m: x.masked_fill(m, -1.5))
    add("triu_diagonal1", [(n(4, 4), True)], lambda x: torch.triu(x, 1))
    add("triu_batched", [(n(2, 3, 4), True)], lambda x: torch.triu(x))
    add("tril_negative_diagonal", [(n(4, 5), True)], lambda x: torch.tril(x, -1))

    # Shapes and views, including non-contiguous inputs to later ops.
    add("cat_dim0", [(n(2, 3), True), (n(1, 3), True), (n(3, 3), True)],
        lambda a, b, c: torch.cat([a, b, c], 0))
    add("cat_dim1", [(n(2, 2), True), (n(2, 3), True)], lambda a, b: torch.cat([a, b], 1))
    add("stack_dim1", [(n(2, 3), True), (n(2, 3), True)], lambda a, b: torch.stack([a, b], 1))
    add("permute_reshape", [(n(2, 3, 4), True)], lambda x: x.permute(2, 0, 1).reshape(4, 6) * 2.0)
    add("transpose_then_add", [(n(3, 4), True), (n(4, 3), True)], lambda a, b: a.t() + b)
    add("slice_step_select", [(n(4, 6), True)], lambda x: x[1:4, ::2][:, 1] * x[0, 5])
    add("narrow_expand", [(n(3, 1), True)], lambda x: x.narrow(0, 1, 2).expand(2, 4) * 1.0)
    add("squeeze_unsqueeze", [(n(3, 1, 2), True)], lambda x: x.squeeze(1).unsqueeze(0) ** 2)
    add("split_chunk", [(n(5, 4), True)],
        lambda x: x.split(2, 0)[2].sum() * x.chunk(2, 1)[1])

    # Compositions that models use.
    add("layer_norm_composition", [(n(2, 3, 6), True), (n(6), True), (n(6), True)], layer_norm)
    add("cross_entropy_composition", [(n(4, 5) * 2, True), (torch.tensor([1, 0, 4, 4]), False)],
        cross_entropy)
    add("causal_attention_composition", [(n(2, 4, 3), True), (n(2, 4, 3), True), (n(2, 4, 2), True)],
        causal_attention)

    # Fused ops against torch's own layer norm and the masked attention above, over more than
    # one 64-query block of the attention kernel.
    add("layer_norm_fused", [(n(2, 3, 6) + 3, True), (n(6), True), (n(6), True)],
        lambda x, w, b: F.layer_norm(x, (6,), w, b, 1e-5))
    add("causal_attention_fused", [(n(1, 2, 70, 4), True), (n(1, 2, 70, 4), True), (n(1, 2, 70, 4), True)],
        causal_attention)
    add("causal_attention_fused_grouped", [(n(1, 4, 5, 3), True), (n(1, 2, 7, 3), True), (n(1, 2, 7, 3), True)],
        grouped_causal_attention)

    # Forward-only float32 checks: bytegrad's float32 kernels against torch's float32.
    add("f32_matmul_batched", [(n(2, 8, 16), False), (n(16, 12), False)], torch.matmul, torch.float32)
    add("f32_softmax", [(n(4, 33) * 4, False)], lambda x: torch.softmax(x, -1), torch.float32)
    add("f32_log_softmax", [(n(4, 33) * 4, False)], lambda x: torch.log_softmax(x, -1), torch.float32)
    add("f32_gelu_exact", [(n(64) * 3, False)], lambda x: F.gelu(x), torch.float32)
    add("f32_gelu_tanh", [(n(64) * 3, False)], lambda x: F.gelu(x, approximate="tanh"), torch.float32)
    add("f32_layer_norm", [(n(3, 32), False), (n(32), False), (n(32), False)], layer_norm, torch.float32)
    add("f32_layer_norm_fused", [(n(3, 32), False), (n(32), False), (n(32), False)],
        lambda x, w, b: F.layer_norm(x, (32,), w, b, 1e-5), torch.float32)
    add("f32_causal_attention_fused", [(n(2, 3, 70, 8), False), (n(2, 3, 70, 8), False), (n(2, 3, 70, 8), False)],
        causal_attention, torch.float32)

    return cases


def self_check(cases):
    """The compositions must agree with torch's own fused versions, or the reference is wrong."""
    g = Builder(SEED + 1)
    logits, targets = g.normal(4, 5), torch.tensor([1, 0, 4, 4])
    assert torch.allclose(cross_entropy(logits, targets), F.cross_entropy(logits, targets), atol=1e-12)
    x, w, b = g.normal(2, 3, 6), g.normal(6), g.normal(6)
    assert torch.allclose(layer_norm(x, w, b), F.layer_norm(x, (6,), w, b, 1e-5), atol=1e-12)
    names = [case["name"] for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: torch_reference.py OUTPUT.json")
    torch.use_deterministic_algorithms(True)
    cases = build_cases()
    self_check(cases)
    with open(sys.argv[1], "w") as out:
        json.dump({"torch_version": torch.__version__, "seed": SEED, "cases": cases}, out)


if __name__ == "__main__":
    main()
