#!/usr/bin/python3
"""PyTorch's side of `bytegrad bench train`: the same training step on the same shapes.

One step is forward, cross-entropy, backward and a torch.optim.AdamW update, in float32 on the
CPU with two threads, on random weights and random token ids from a fixed seed. After one
warm-up step the median of --steps timed steps gives tokens/s. Prints one JSON line:
{"model", "tokens_per_s", "step_s", "peak_rss_mib", ...}.

With --device cuda the weights stay float32. --matmul-precision high or highest goes to
torch.set_float32_matmul_precision, as bytegrad's side does; medium (bfloat16 products) runs the
forward under torch.autocast("cuda", torch.bfloat16) instead, because PyTorch's "medium" on CUDA
still multiplies in TF32 (its documentation says so), and autocast is how PyTorch users get
bfloat16 products from float32 weights. Attention is
torch's fused F.scaled_dot_product_attention(is_causal=True) there (torch 2.0 on; what a PyTorch user would
write for a GPU; bytegrad's is flash-style too), and each clock is read after
torch.cuda.synchronize(). peak_gpu_mib is torch.cuda.max_memory_allocated(). The modules are written out here
(Llama with RMSNorm, rotary positions and SwiGLU; GPT-2 with LayerNorm, learned positions and a
tanh-GELU MLP; both with tied heads) so that no package beyond torch is needed.
"""
import argparse
import contextlib
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    # name: (architecture, vocab, hidden, layers, heads, mlp hidden, positions, batch, seq, steps)
    "stories15M": ("llama", 32000, 288, 6, 6, 768, 256, 8, 256, 5),
    "gpt2": ("gpt2", 50257, 768, 12, 12, 3072, 1024, 4, 256, 3),
    "tiny": ("gpt2", 256, 64, 2, 2, 256, 32, 2, 32, 2),
}

FUSED_ATTENTION = False  # set by main() on a GPU


def causal_attention(q, k, v):
    """q, k, v [B, heads, T, head_dim] -> [B, heads, T, head_dim], each token seeing its past."""
    if FUSED_ATTENTION:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    t = q.shape[2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    mask = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
    return scores.masked_fill(mask, float("-inf")).softmax(-1) @ v


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotary_tables(head_dim, positions, theta=10000.0):
    inverse = 1.0 / theta ** (torch.arange(0, head_dim, 2).float() / head_dim)
    angles = torch.outer(torch.arange(positions).float(), inverse)
    angles = torch.cat([angles, angles], -1)  # Hugging Face's rotate-half layout
    return angles.cos(), angles.sin()


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos + rotated * sin


class LlamaLayer(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.input_norm = RMSNorm(dim)
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim, bias=False) for _ in range(4))
        self.post_norm = RMSNorm(dim)
        self.gate = nn.Linear(dim, mlp, bias=False)
        self.up = nn.Linear(dim, mlp, bias=False)
        self.down = nn.Linear(mlp, dim, bias=False)

    def forward(self, x, cos, sin):
        b, t, d = x.shape
        h = self.input_norm(x)
        split = lambda y: y.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        q = rotate(split(self.q(h)), cos, sin)
        k = rotate(split(self.k(h)), cos, sin)
        attended = causal_attention(q, k, split(self.v(h))).transpose(1, 2).reshape(b, t, d)
        x = x + self.o(attended)
        h = self.post_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Llama(nn.Module):
    def __init__(self, vocab, dim, layers, heads, mlp, positions):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(LlamaLayer(dim, heads, mlp) for _ in range(layers))
        self.norm = RMSNorm(dim)
        cos, sin = rotary_tables(dim // heads, positions)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x, self.cos[:t], self.sin[:t])
        return self.norm(x) @ self.embed.weight.t()  # tied head


class GPT2Block(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(dim)
        self.c_attn = nn.Linear(dim, 3 * dim)
        self.c_proj = nn.Linear(dim, dim)
        self.ln_2 = nn.LayerNorm(dim)
        self.c_fc = nn.Linear(dim, mlp)
        self.mlp_proj = nn.Linear(mlp, dim)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(d, -1)
        split = lambda y: y.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        attended = causal_attention(split(q), split(k), split(v)).transpose(1, 2).reshape(b, t, d)
        x = x + self.c_proj(attended)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT2(nn.Module):
    def __init__(self, vocab, dim, layers, heads, mlp, positions):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(positions, dim)
        self.h = nn.ModuleList(GPT2Block(dim, heads, mlp) for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1], device=ids.device))
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()  # tied head


def peak_rss_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    return 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(SHAPES), required=True)
    parser.add_argument("--steps", type=int, default=0, help="timed steps (default: per model)")
    parser.add_argument("--batch", type=int, default=0, help="sequences per step (default: per model)")
    parser.add_argument("--seq", type=int, default=0, help="tokens per sequence (default: per model)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--matmul-precision", default="highest", choices=["highest", "high", "medium"],
                        help="torch.set_float32_matmul_precision on a GPU")
    args = parser.parse_args()
    arch, vocab, dim, layers, heads, mlp, positions, batch, seq, default_steps = SHAPES[args.model]
    steps = args.steps or default_steps
    batch = args.batch or batch
    seq = args.seq or seq
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    autocast = on_gpu and args.matmul_precision == "medium"
    if on_gpu:
        global FUSED_ATTENTION
        FUSED_ATTENTION = hasattr(F, "scaled_dot_product_attention")  # torch 2.0 and later
        if not autocast:
            torch.set_float32_matmul_precision(args.matmul_precision)

    def now():
        if on_gpu:
            torch.cuda.synchronize(device)
        return time.perf_counter()

    torch.set_num_threads(2)
    torch.manual_seed(1234)
    model = (Llama if arch == "llama" else GPT2)(vocab, dim, layers, heads, mlp, positions)
    # Hugging Face's initialisation (normal, std 0.02; zero biases), as bytegrad's models use:
    # torch's default N(0, 1) embeddings would make the tied head's logits huge.
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
    # Weight decay on matrices of linear layers only, as bytegrad's AdamW does by default.
    decayed = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n
               and "wte" not in n and "wpe" not in n]
    kept = [p for n, p in model.named_parameters() if all(p is not q for q in decayed)]
    model.to(device)  # before the optimizer, whose moments live beside the parameters
    optimizer = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.01},
                                   {"params": kept, "weight_decay": 0.0}], lr=3e-4)
    ids = torch.randint(0, vocab, (batch, seq)).to(device)
    targets = torch.randint(0, vocab, (batch, seq)).to(device)

    times = []
    for step in range(steps + 1):  # step 0 is the warm-up
        start = now()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16) if autocast else contextlib.nullcontext():
            logits = model(ids)
        loss = F.cross_entropy(logits.float().view(-1, vocab), targets.view(-1))
        loss.backward()
        optimizer.step()
        if step > 0:
            times.append(now() - start)
    step_s = statistics.median(times)
    result = {"model": args.model, "tokens_per_s": batch * seq / step_s, "step_s": step_s,
              "loss": loss.item(), "torch": torch.__version__, "device": str(device),
              "threads": torch.get_num_threads(), "peak_rss_mib": peak_rss_mib()}
    if on_gpu:
        result["peak_gpu_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
        result["matmul_precision"] = ("autocast bfloat16" if autocast
                                      else torch.get_float32_matmul_precision())
        result["attention"] = "scaled_dot_product_attention" if FUSED_ATTENTION else "composed"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
