#!/usr/bin/python3
"""PyTorch reference for bytegrad's model parity test (tests/nn/model_parity_test.cpp).

Builds two small Llamas (grouped-query attention with an untied head; multi-query attention
with the head tied to the embedding) and a small GPT-2 by hand, written
the way Hugging Face's LlamaForCausalLM and GPT2LMHeadModel compute (same parameter names and
layouts, rotate_half RoPE, GPT-2's Conv1D [in, out] weights and tanh GELU), with random weights
from a fixed seed. For each model it runs forward on fixed token ids, takes the cross-entropy
against fixed targets (one of them ignore_index = -100), runs backward, and writes:

  OUTPUT_DIR/NAME.json  {"config": {...Hugging Face config...}, "ids": [[...]], "targets": [[...]],
                         "loss": float, "tensors": {key: {"shape": [...], "offset": elements}}}
  OUTPUT_DIR/NAME.bin   every tensor of the index as little-endian float32, back to back

with keys "param/<name>" (the weights), "grad/<name>" (d loss / d weight) and "logits".

Usage: /usr/bin/python3 torch_models.py OUTPUT_DIR
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

SEED = 20240917
BATCH, TOKENS = 2, 7

LLAMA_CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "vocab_size": 37, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "intermediate_size": 48, "max_position_embeddings": 64,
    "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False,
    "hidden_act": "silu",
}

LLAMA_TIED_CONFIG = dict(LLAMA_CONFIG, num_key_value_heads=1, rope_theta=500000.0,
                         tie_word_embeddings=True)

GPT2_CONFIG = {
    "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
    "vocab_size": 41, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 32, "n_inner": None,
    "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
    "embd_pdrop": 0.0, "attn_pdrop": 0.0, "resid_pdrop": 0.0,
}


class Weights:
    """Named leaf tensors drawn from one seeded generator in a fixed order."""

    def __init__(self, generator):
        self.generator = generator
        self.tensors = {}

    def _add(self, name, value):
        self.tensors[name] = value.requires_grad_()
        return self.tensors[name]

    def matrix(self, name, *shape, std=0.2):
        return self._add(name, std * torch.randn(shape, generator=self.generator))

    def gain(self, name, size):  # norm weights: around 1
        return self._add(name, 1.0 + 0.1 * torch.randn((size,), generator=self.generator))

    def bias(self, name, size):
        return self._add(name, 0.1 * torch.randn((size,), generator=self.generator))

    def __getitem__(self, name):
        return self.tensors[name]


def causal_attention(q, k, v):
    """softmax(q k^T / sqrt(D) + causal mask) v over [B, H, T, D]; the softmax in float32."""
    tokens = q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    future = torch.triu(torch.ones(tokens, tokens, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(future, float("-inf"))
    return F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype) @ v


# ---- Llama, as Hugging Face's modeling_llama ----

def llama_weights(config, generator):
    w = Weights(generator)
    hidden, inter = config["hidden_size"], config["intermediate_size"]
    head_dim = hidden // config["num_attention_heads"]
    kv = config["num_key_value_heads"] * head_dim
    w.matrix("model.embed_tokens.weight", config["vocab_size"], hidden, std=1.0)
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w.matrix(p + "self_attn.q_proj.weight", hidden, hidden)
        w.matrix(p + "self_attn.k_proj.weight", kv, hidden)
        w.matrix(p + "self_attn.v_proj.weight", kv, hidden)
        w.matrix(p + "self_attn.o_proj.weight", hidden, hidden)
        w.matrix(p + "mlp.gate_proj.weight", inter, hidden)
        w.matrix(p + "mlp.up_proj.weight", inter, hidden)
        w.matrix(p + "mlp.down_proj.weight", hidden, inter)
        w.gain(p + "input_layernorm.weight", hidden)
        w.gain(p + "post_attention_layernorm.weight", hidden)
    w.gain("model.norm.weight", hidden)
    if not config["tie_word_embeddings"]:
        w.matrix("lm_head.weight", config["vocab_size"], hidden)
    return w


def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope(x, theta):
    """HF Llama's rotary embedding over x [B, H, T, D] at positions 0..T-1."""
    dim, tokens = x.shape[-1], x.shape[-2]
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    freqs = torch.outer(torch.arange(tokens, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return x * emb.cos().to(x.dtype) + rotate_half(x) * emb.sin().to(x.dtype)


def llama_forward(config, w, ids):
    batch, tokens = ids.shape
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    head_dim = config["hidden_size"] // heads
    eps, theta = config["rms_norm_eps"], config["rope_theta"]
    x = w["model.embed_tokens.weight"][ids]
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        def project(name, count):
            y = h @ w[p + f"self_attn.{name}.weight"].T
            return y.view(batch, tokens, count, head_dim).transpose(1, 2)

        q, k, v = project("q_proj", heads), project("k_proj", kv_heads), project("v_proj", kv_heads)
        q, k = rope(q, theta), rope(k, theta)
        k = k.repeat_interleave(heads // kv_heads, dim=1)
        v = v.repeat_interleave(heads // kv_heads, dim=1)
        a = causal_attention(q, k, v).transpose(1, 2).reshape(batch, tokens, -1)
        x = x + a @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        m = F.silu(h @ w[p + "mlp.gate_proj.weight"].T) * (h @ w[p + "mlp.up_proj.weight"].T)
        x = x + m @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = "model.embed_tokens.weight" if config["tie_word_embeddings"] else "lm_head.weight"
    return x @ w[head].T


# ---- GPT-2, as Hugging Face's modeling_gpt2 (Conv1D weights are [in, out]) ----

def gpt2_weights(config, generator):
    w = Weights(generator)
    hidden = config["n_embd"]
    w.matrix("transformer.wte.weight", config["vocab_size"], hidden, std=1.0)
    w.matrix("transformer.wpe.weight", config["n_positions"], hidden, std=0.5)
    for i in range(config["n_layer"]):
        p = f"transformer.h.{i}."
        w.gain(p + "ln_1.weight", hidden)
        w.bias(p + "ln_1.bias", hidden)
        w.matrix(p + "attn.c_attn.weight", hidden, 3 * hidden)
        w.bias(p + "attn.c_attn.bias", 3 * hidden)
        w.matrix(p + "attn.c_proj.weight", hidden, hidden)
        w.bias(p + "attn.c_proj.bias", hidden)
        w.gain(p + "ln_2.weight", hidden)
        w.bias(p + "ln_2.bias", hidden)
        w.matrix(p + "mlp.c_fc.weight", hidden, 4 * hidden)
        w.bias(p + "mlp.c_fc.bias", 4 * hidden)
        w.matrix(p + "mlp.c_proj.weight", 4 * hidden, hidden)
        w.bias(p + "mlp.c_proj.bias", hidden)
    w.gain("transformer.ln_f.weight", hidden)
    w.bias("transformer.ln_f.bias", hidden)
    return w


def gpt2_forward(config, w, ids):
    batch, tokens = ids.shape
    hidden, heads, eps = config["n_embd"], config["n_head"], config["layer_norm_epsilon"]

    def layer_norm(x, name):
        return F.layer_norm(x, (hidden,), w[name + ".weight"], w[name + ".bias"], eps)

    def conv1d(x, name):
        return x @ w[name + ".weight"] + w[name + ".bias"]

    def heads_of(x):
        return x.view(batch, tokens, heads, hidden // heads).transpose(1, 2)

    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][torch.arange(tokens)]
    for i in range(config["n_layer"]):
        p = f"transformer.h.{i}."
        q, k, v = conv1d(layer_norm(x, p + "ln_1"), p + "attn.c_attn").split(hidden, dim=2)
        a = causal_attention(heads_of(q), heads_of(k), heads_of(v))
        x = x + conv1d(a.transpose(1, 2).reshape(batch, tokens, hidden), p + "attn.c_proj")
        m = F.gelu(conv1d(layer_norm(x, p + "ln_2"), p + "mlp.c_fc"), approximate="tanh")
        x = x + conv1d(m, p + "mlp.c_proj")
    x = layer_norm(x, "transformer.ln_f")
    return x @ w["transformer.wte.weight"].T


def write_case(directory, name, config, build_weights, forward, generator):
    weights = build_weights(config, generator)
    ids = torch.randint(0, config["vocab_size"], (BATCH, TOKENS), generator=generator)
    targets = torch.randint(0, config["vocab_size"], (BATCH, TOKENS), generator=generator)
    targets[0, 2] = -100
    logits = forward(config, weights, ids)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                           ignore_index=-100)
    loss.backward()

    tensors = {"logits": logits}
    for key, value in weights.tensors.items():
        tensors["param/" + key] = value
        tensors["grad/" + key] = value.grad
    index, offset = {}, 0
    with open(os.path.join(directory, name + ".bin"), "wb") as out:
        for key, value in tensors.items():
            data = value.detach().to(torch.float32).contiguous()
            out.write(data.numpy().astype("<f4").tobytes())
            index[key] = {"shape": list(data.shape), "offset": offset}
            offset += data.numel()
    with open(os.path.join(directory, name + ".json"), "w") as out:
        json.dump({"config": config, "ids": ids.tolist(), "targets": targets.tolist(),
                   "loss": loss.item(), "tensors": index}, out)


def main():
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    write_case(directory, "llama", LLAMA_CONFIG, llama_weights, llama_forward, generator)
    write_case(directory, "llama_tied", LLAMA_TIED_CONFIG, llama_weights, llama_forward, generator)
    write_case(directory, "gpt2", GPT2_CONFIG, gpt2_weights, gpt2_forward, generator)


if __name__ == "__main__":
    main()
