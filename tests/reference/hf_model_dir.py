#!/usr/bin/python3
"""Hugging Face model directories read and written by PyTorch, for bytegrad's interop test
(tests/train/hf_interop_test.cpp). The models are torch_models.py's, which compute as
transformers' LlamaForCausalLM and GPT2LMHeadModel do, under the same parameter names; the
safetensors reader and writer are train_formats.py's. Neither uses bytegrad's code.

  hf_model_dir.py logits MODEL_DIR IDS OUT
      Reads MODEL_DIR (config.json; model.safetensors or model.safetensors.index.json with its
      shards), runs the model on the ids in IDS (safetensors, tensor "ids" [B, T] int64) and
      writes the logits to OUT (safetensors, tensor "logits" float32).
  hf_model_dir.py write-sharded MODEL_TYPE OUT_DIR
      Writes a random model of MODEL_TYPE (llama | gpt2) to OUT_DIR as transformers shards a
      checkpoint: config.json, model-00001-of-00002.safetensors, model-00002-of-00002.safetensors
      and model.safetensors.index.json; GPT-2 with the names and attention-mask buffers of the
      "gpt2" hub checkpoint (no "transformer." prefix). Beside it, OUT_DIR/expected.safetensors
      holds fixed "ids" and the reference "logits" for them.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402
from train_formats import read_safetensors, write_safetensors  # noqa: E402

SEED = 20251123


def read_weights(directory):
    single = os.path.join(directory, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)[0]
    with open(os.path.join(directory, "model.safetensors.index.json")) as f:
        index = json.load(f)
    weights = {}
    for shard in sorted(set(index["weight_map"].values())):
        tensors, _ = read_safetensors(os.path.join(directory, shard))
        weights.update(tensors)
    return weights


def forward(config, weights, ids):
    weights = {name: tensor.to(torch.float32) for name, tensor in weights.items()}
    if config["model_type"] == "llama":
        return torch_models.llama_forward(config, weights, ids)
    if config["model_type"] == "gpt2":
        weights = {(name if name.startswith("transformer.") else "transformer." + name): tensor
                   for name, tensor in weights.items()}
        return torch_models.gpt2_forward(config, weights, ids)
    raise SystemExit(f"unsupported model_type {config['model_type']}")


def logits(directory, ids_path, out_path):
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    ids = read_safetensors(ids_path)[0]["ids"]
    with torch.no_grad():
        result = forward(config, read_weights(directory), ids)
    write_safetensors(out_path, {"logits": result.to(torch.float32).contiguous()}, {"writer": "torch"})


def write_sharded(model_type, directory):
    os.makedirs(directory, exist_ok=True)
    generator = torch.Generator().manual_seed(SEED)
    if model_type == "llama":
        config = dict(torch_models.LLAMA_CONFIG, torch_dtype="float32")
        weights = torch_models.llama_weights(config, generator).tensors
    else:
        config = dict(torch_models.GPT2_CONFIG, torch_dtype="float32")
        weights = torch_models.gpt2_weights(config, generator).tensors
    weights = {name: tensor.detach() for name, tensor in weights.items()}
    ids = torch.randint(0, config["vocab_size"], (2, 9), generator=generator)
    with torch.no_grad():
        expected = forward(config, weights, ids)
    if model_type == "gpt2":  # the hub checkpoint's spelling: bare names plus causal-mask buffers
        stored = {name[len("transformer."):]: tensor for name, tensor in weights.items()}
        positions = config["n_positions"]
        for i in range(config["n_layer"]):
            stored[f"h.{i}.attn.bias"] = torch.tril(torch.ones(positions, positions)).view(1, 1, positions, positions)
    else:
        stored = weights
    names = list(stored)
    halves = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map = {}
    for number, part in enumerate(halves, start=1):
        shard = f"model-{number:05d}-of-00002.safetensors"
        write_safetensors(os.path.join(directory, shard), {n: stored[n].contiguous() for n in part}, {"format": "pt"})
        weight_map.update({n: shard for n in part})
    total = sum(t.numel() * t.element_size() for t in stored.values())
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_safetensors(os.path.join(directory, "expected.safetensors"),
                      {"ids": ids, "logits": expected.to(torch.float32).contiguous()}, {"writer": "torch"})


def main():
    command = sys.argv[1]
    if command == "logits":
        logits(*sys.argv[2:5])
    elif command == "write-sharded":
        write_sharded(*sys.argv[2:4])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
