"""Independent Python implementations of bytegrad's train/ file formats, for the interop tests.

Written from the format descriptions, without bytegrad's code: a safetensors reader and writer
(the `safetensors` package is not needed), and llama2.c's legacy export as its export.py does it.

  train_formats.py safetensors-roundtrip IN OUT
      Reads IN, checks its metadata, writes OUT with every tensor transformed (floats: 2x + 1,
      signed ints: x - 1, uint8: 255 - x, bool: not x) plus "python/arange", and metadata
      {"writer": "torch"}.
  train_formats.py llama2c WEIGHTS CONFIG OUT
      Exports the Hugging Face Llama weights in WEIGHTS (safetensors) with config.json CONFIG to
      llama2.c's version-0 .bin at OUT.
"""
import json
import struct
import sys

import torch

DTYPES = {
    "F32": torch.float32, "F64": torch.float64, "BF16": torch.bfloat16, "F16": torch.float16,
    "I32": torch.int32, "I64": torch.int64, "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_size])
    metadata = header.pop("__metadata__", {})
    region = data[8 + header_size:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        if begin == end:
            tensors[name] = torch.empty(entry["shape"], dtype=dtype)
        else:
            flat = torch.frombuffer(bytearray(region[begin:end]), dtype=dtype)
            tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, tensor in tensors.items():
        raw = tensor.contiguous().view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        header[name] = {"dtype": NAMES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def transformed(tensor):
    if tensor.dtype == torch.bool:
        return ~tensor
    if tensor.dtype == torch.uint8:
        return 255 - tensor
    if tensor.is_floating_point():
        return tensor * 2 + 1
    return tensor - 1


def safetensors_roundtrip(source, target):
    tensors, metadata = read_safetensors(source)
    assert metadata.get("format") == "pt", metadata
    out = {name: transformed(tensor) for name, tensor in tensors.items()}
    out["python/arange"] = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    write_safetensors(target, out, {"writer": "torch"})


# llama2.c export.py: permute_reverse undoes Hugging Face's q/k row permutation.
def permute_reverse(w, n_heads, dim1, dim2):
    return w.view(n_heads, 2, dim1 // n_heads // 2, dim2).transpose(1, 2).reshape(dim1, dim2)


# llama2.c model.py: precompute_freqs_cis.
def precompute_freqs_cis(dim, end, theta=10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64)[: (dim // 2)] / dim))
    t = torch.arange(end, dtype=torch.float64)
    freqs = torch.outer(t, freqs)
    return torch.cos(freqs).float(), torch.sin(freqs).float()


def llama2c(weights_path, config_path, target):
    weights, _ = read_safetensors(weights_path)
    weights = {name: tensor.float() for name, tensor in weights.items()}
    with open(config_path) as f:
        config = json.load(f)
    dim, n_layers = config["hidden_size"], config["num_hidden_layers"]
    n_heads = config["num_attention_heads"]
    n_kv_heads = config.get("num_key_value_heads", n_heads)
    vocab, seq_len = config["vocab_size"], config["max_position_embeddings"]
    kv_dim = dim * n_kv_heads // n_heads
    hidden_dim = weights["model.layers.0.mlp.gate_proj.weight"].shape[0]
    embedding = weights["model.embed_tokens.weight"]
    classifier = weights.get("lm_head.weight")
    shared = classifier is None or torch.equal(classifier, embedding)

    def layer(suffix):
        return [weights[f"model.layers.{i}.{suffix}"] for i in range(n_layers)]

    ordered = [embedding]
    ordered += layer("input_layernorm.weight")
    ordered += [permute_reverse(w, n_heads, dim, dim) for w in layer("self_attn.q_proj.weight")]
    ordered += [permute_reverse(w, n_kv_heads, kv_dim, dim) for w in layer("self_attn.k_proj.weight")]
    ordered += layer("self_attn.v_proj.weight")
    ordered += layer("self_attn.o_proj.weight")
    ordered += layer("post_attention_layernorm.weight")
    ordered += layer("mlp.gate_proj.weight")
    ordered += layer("mlp.down_proj.weight")
    ordered += layer("mlp.up_proj.weight")
    ordered.append(weights["model.norm.weight"])
    ordered += list(precompute_freqs_cis(dim // n_heads, seq_len))
    if not shared:
        ordered.append(classifier)
    with open(target, "wb") as f:
        f.write(struct.pack("iiiiiii", dim, hidden_dim, n_layers, n_heads, n_kv_heads,
                            vocab if shared else -vocab, seq_len))
        for tensor in ordered:
            f.write(tensor.contiguous().numpy().astype("<f4").tobytes())


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    {"safetensors-roundtrip": safetensors_roundtrip, "llama2c": llama2c}[command](*arguments)
