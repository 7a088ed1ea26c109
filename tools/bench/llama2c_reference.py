#!/usr/bin/python3
"""A reader of llama2.c's version-0 checkpoints and a PyTorch decoder with run.c's semantics.

Written from the format's description (../shared/research/llama2c-format.md in the project's
notes, and the header of io/llama2c_export.h): 7 little-endian int32 (dim, hidden_dim,
n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means an unshared
classifier at the end of the file), then float32 weights, each kind for all layers in turn.

The forward pass is the one run.c computes for one token at a position, batch 1:
  x = embedding[token]
  per layer: h = rmsnorm(x); q, k, v = wq h, wk h, wv h; RoPE on q and k rotating interleaved
    pairs (x[2i], x[2i+1]) of each head by pos * 10000^(-2i / head_size); k, v into the cache;
    each query head attends over the cached positions 0..pos of its key/value head
    (head / (n_heads / n_kv_heads)) with scale 1/sqrt(head_size); x += wo(attention);
    x += w2(silu(w1 rmsnorm(x)) * w3 rmsnorm(x))
  logits = classifier(rmsnorm(x)), with rmsnorm(x) = w * x / sqrt(mean(x^2) + 1e-5).
Prompts are fed one token at a time, as run.c does.

Commands (each prints one JSON line):
  generate CHECKPOINT --prompt 1,2,3 --steps N [--logits]
      greedy decoding: {"tokens": [N new ids], "logits": [[vocab floats] per new token]}
  bench CHECKPOINT --prompt 1,2,3 --steps N [--repeats R] [--threads T] [--device cuda]
      greedy decoding timed (on --device: the weights and caches there; each new token's argmax
      is read on the host, which waits for the device, so the clock needs no other sync): {"tokens_per_s": median over repeats of new tokens / seconds spent
      producing them (the prompt excluded), "runs": [...], "tokens": [...]}
"""
import argparse
import json
import math
import statistics
import struct
import sys
import time

import numpy as np
import torch


class Checkpoint:
    """The header and weights of a version-0 llama2.c file, as float32 torch tensors."""

    FIELDS = ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len")

    def __init__(self, path):
        with open(path, "rb") as f:
            header = struct.unpack("<7i", f.read(28))
            values = np.fromfile(f, dtype="<f4")
        for name, value in zip(self.FIELDS, header):
            setattr(self, name, value)
        self.shared_classifier = self.vocab_size > 0
        self.vocab_size = abs(self.vocab_size)
        self.head_size = self.dim // self.n_heads
        self.kv_dim = self.dim * self.n_kv_heads // self.n_heads
        weights = torch.from_numpy(values)
        at = 0

        def take(*shape):
            nonlocal at
            count = math.prod(shape)
            if at + count > weights.numel():
                sys.exit(f"{path}: the file ends before its weights do ({weights.numel()} floats)")
            tensor = weights[at:at + count].view(*shape)
            at += count
            return tensor

        L, dim, hidden, kv_dim = self.n_layers, self.dim, self.hidden_dim, self.kv_dim
        self.embedding = take(self.vocab_size, dim)
        self.rms_att = take(L, dim)
        self.wq = take(L, dim, dim)
        self.wk = take(L, kv_dim, dim)
        self.wv = take(L, kv_dim, dim)
        self.wo = take(L, dim, dim)
        self.rms_ffn = take(L, dim)
        self.w1 = take(L, hidden, dim)
        self.w2 = take(L, dim, hidden)
        self.w3 = take(L, hidden, dim)
        self.rms_final = take(dim)
        take(self.seq_len, self.head_size // 2)  # freq_cis_real: run.c recomputes RoPE
        take(self.seq_len, self.head_size // 2)  # freq_cis_imag
        self.classifier = self.embedding if self.shared_classifier else take(self.vocab_size, dim)
        if at != weights.numel():
            sys.exit(f"{path}: {weights.numel() - at} floats left over after the weights")

    WEIGHTS = ("embedding", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3", "rms_final")

    def to(self, device):
        """Moves every weight to `device` (a shared classifier stays the embedding)."""
        for name in self.WEIGHTS:
            setattr(self, name, getattr(self, name).to(device))
        self.classifier = self.embedding if self.shared_classifier else self.classifier.to(device)
        return self


def rmsnorm(x, weight):
    return weight * (x * torch.rsqrt(x.pow(2).mean() + 1e-5))


class Decoder:
    """run.c's forward for one token at a time, with a key/value cache [layers, kv_heads, seq, head]."""

    def __init__(self, ckpt):
        self.c = ckpt
        shape = (ckpt.n_layers, ckpt.n_kv_heads, ckpt.seq_len, ckpt.head_size)
        device = ckpt.embedding.device
        self.key_cache = torch.zeros(shape, device=device)
        self.value_cache = torch.zeros(shape, device=device)
        # Angle of pair i of a head at position p: p * 10000^(-2i / head_size).
        pairs = torch.arange(0, ckpt.head_size, 2, dtype=torch.float64) / ckpt.head_size
        angles = torch.outer(torch.arange(ckpt.seq_len, dtype=torch.float64), 10000.0 ** -pairs)
        self.cos, self.sin = angles.cos().float().to(device), angles.sin().float().to(device)  # [seq, head_size / 2]

    def rope(self, x, pos):
        """Rotates each head's interleaved pairs (x[2i], x[2i+1]) of x [heads * head_size]."""
        pairs = x.view(-1, self.c.head_size // 2, 2)
        x0, x1 = pairs[..., 0], pairs[..., 1]
        cos, sin = self.cos[pos], self.sin[pos]
        return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), -1).view(-1)

    def forward(self, token, pos):
        c = self.c
        group = c.n_heads // c.n_kv_heads
        x = c.embedding[token].clone()
        for l in range(c.n_layers):
            h = rmsnorm(x, c.rms_att[l])
            q = self.rope(torch.mv(c.wq[l], h), pos)
            k = self.rope(torch.mv(c.wk[l], h), pos)
            v = torch.mv(c.wv[l], h)
            self.key_cache[l, :, pos] = k.view(c.n_kv_heads, c.head_size)
            self.value_cache[l, :, pos] = v.view(c.n_kv_heads, c.head_size)
            keys = self.key_cache[l, :, :pos + 1]      # [kv_heads, pos + 1, head_size]
            values = self.value_cache[l, :, :pos + 1]
            queries = q.view(c.n_kv_heads, group, c.head_size)  # query heads by their kv head
            scores = queries @ keys.transpose(1, 2) / math.sqrt(c.head_size)
            attended = scores.softmax(-1) @ values      # [kv_heads, group, head_size]
            x = x + torch.mv(c.wo[l], attended.reshape(-1))
            h = rmsnorm(x, c.rms_ffn[l])
            x = x + torch.mv(c.w2[l], torch.nn.functional.silu(torch.mv(c.w1[l], h)) * torch.mv(c.w3[l], h))
        return torch.mv(c.classifier, rmsnorm(x, c.rms_final))


def greedy(ckpt, prompt, steps, keep_logits=False):
    """Feeds the prompt one token at a time, then `steps` greedy tokens. Returns the new ids,
    their logits (when kept) and the seconds spent producing them, the prompt's excluded."""
    decoder = Decoder(ckpt)
    tokens, logits = [], []
    for pos, token in enumerate(prompt[:-1]):
        decoder.forward(token, pos)
    token, pos = prompt[-1], len(prompt) - 1
    start = time.perf_counter()
    for _ in range(steps):
        out = decoder.forward(token, pos)
        token, pos = int(out.argmax()), pos + 1
        tokens.append(token)
        if keep_logits:
            logits.append(out.tolist())
    return tokens, logits, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("generate", "bench"))
    parser.add_argument("checkpoint")
    parser.add_argument("--prompt", required=True, help="comma-separated token ids")
    parser.add_argument("--steps", type=int, required=True, help="new tokens to generate")
    parser.add_argument("--logits", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ckpt = Checkpoint(args.checkpoint).to(torch.device(args.device))
    prompt = [int(t) for t in args.prompt.split(",")]
    if len(prompt) + args.steps > ckpt.seq_len:
        sys.exit(f"{len(prompt)} prompt tokens and {args.steps} steps exceed seq_len {ckpt.seq_len}")
    with torch.inference_mode():
        if args.command == "generate":
            tokens, logits, _ = greedy(ckpt, prompt, args.steps, args.logits)
            print(json.dumps({"tokens": tokens, "logits": logits}))
            return
        greedy(ckpt, prompt, min(args.steps, 8))  # warm-up: allocator, thread pool
        runs = []
        for _ in range(args.repeats):
            tokens, _, seconds = greedy(ckpt, prompt, args.steps)
            runs.append(args.steps / seconds)
        print(json.dumps({"tokens_per_s": statistics.median(runs), "runs": runs, "tokens": tokens}))


if __name__ == "__main__":
    main()
