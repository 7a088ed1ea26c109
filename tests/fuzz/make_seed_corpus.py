#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into tests/fuzz/corpus/<target>/seed-*.

Seeds are small valid files of each format, so that the fuzzer starts from inputs the loaders
accept and mutates its way into their corners. Files that only bytegrad or a reference tool can
make (a trained byte-level BPE, a SentencePiece .model, model directories, MemoryMaps, token
shards, T-Free dictionaries) come from the programs themselves; the others are written here.
Run from the repository root after building: python3 tests/fuzz/make_seed_corpus.py build/bytegrad
"""
import base64
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

SEPARATOR = b"\n==> next file <==\n"  # tests/fuzz/fuzz_target.h, kPartSeparator
ROOT = pathlib.Path("tests/fuzz/corpus")
TEXT = "the cat sat on the mat. the dog ate 12 apples; caf\u00e9 \u4f60\u597d!\nhello world\n" * 4


def seed(target, name, *parts):
    folder = ROOT / target
    folder.mkdir(parents=True, exist_ok=True)
    data = SEPARATOR.join(p if isinstance(p, bytes) else p.encode() for p in parts)
    (folder / f"seed-{name}").write_bytes(data)


def run(*args, cwd=None):
    subprocess.run(args, check=True, cwd=cwd, stdout=subprocess.DEVNULL)


def sentencepiece_json(model_type):
    pieces = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    words = ["\u2581", "t", "h", "e", "a", "c", "\u2581t", "th", "\u2581th", "\u2581the", "at", "\u2581c", "\u2581cat"]
    if model_type == "BPE":
        vocab = {p: i for i, p in enumerate(pieces + words)}
        merges = ["\u2581 t", "t h", "\u2581t h", "\u2581 th", "\u2581th e", "a t", "\u2581 c", "\u2581c at"]
        model = {"type": "BPE", "dropout": None, "unk_token": "<unk>", "fuse_unk": True,
                 "byte_fallback": True, "vocab": vocab, "merges": merges}
        normalizer = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
        pre_tokenizer = None
        decoder = {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    else:
        vocab = [[p, 0.0] for p in pieces[:3]] + [[w, -1.0 - i] for i, w in enumerate(words)]
        model = {"type": "Unigram", "unk_id": 0, "vocab": vocab, "byte_fallback": False}
        normalizer = None
        pre_tokenizer = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
        decoder = dict(pre_tokenizer)
    return json.dumps({
        "version": "1.0",
        "added_tokens": [{"id": i, "content": p, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, p in enumerate(pieces[:3])],
        "normalizer": normalizer, "pre_tokenizer": pre_tokenizer,
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": decoder, "model": model}, ensure_ascii=False)


def main():
    bytegrad = os.path.abspath(sys.argv[1])
    for target in ROOT.glob("*"):
        for old in target.glob("seed-*"):
            old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "text.txt").write_text(TEXT)

        # tokenizer.json: a byte-level BPE bytegrad trains, and SentencePiece-style BPE and unigram.
        run(bytegrad, "tokenizer-train", "--input", str(tmp / "text.txt"), "--vocab-size", "300",
            "--output", str(tmp / "tokenizer.json"), "--special", "<|endoftext|>")
        byte_level = (tmp / "tokenizer.json").read_bytes()
        seed("tokenizer_json", "byte-level-bpe", byte_level)
        seed("tokenizer_json", "byte-level-bpe-with-config", byte_level,
             json.dumps({"bos_token": "<|endoftext|>", "eos_token": {"content": "<|endoftext|>"}}))
        seed("tokenizer_json", "sentencepiece-bpe", sentencepiece_json("BPE"))
        seed("tokenizer_json", "sentencepiece-unigram", sentencepiece_json("Unigram"))

        # SentencePiece .model files from spm_train (BPE and unigram).
        for kind, options in (("bpe", ["--vocab_size=300", "--byte_fallback=true"]),
                              ("unigram", ["--vocab_size=40"])):
            run("spm_train", f"--input={tmp / 'text.txt'}", f"--model_prefix={tmp / kind}", *options,
                f"--model_type={kind}", "--user_defined_symbols=<sep>", "--hard_vocab_limit=false", "--normalization_rule_name=identity",
                "--minloglevel=2")
            seed("sentencepiece_model", kind, (tmp / f"{kind}.model").read_bytes())

        # tiktoken: the 256 bytes and a few merges, "base64 rank" per line.
        tokens = [bytes([b]) for b in range(256)] + [b"th", b"the", b" the", b"at", b" cat"]
        seed("tiktoken", "ranks", "".join(f"{base64.b64encode(t).decode()} {i}\n" for i, t in enumerate(tokens)))

        # GPT-2's encoder.json and vocab.bpe, from the byte-level tokenizer.json's model.
        model = json.loads(byte_level)["model"]
        merges = [" ".join(m) if isinstance(m, list) else m for m in model["merges"]]
        seed("gpt2_bpe", "encoder-and-merges", json.dumps(model["vocab"], ensure_ascii=False),
             "#version: 0.2\n" + "\n".join(merges[:20]) + "\n")

        # A tiny model directory (config.json + model.safetensors) for each family, trained 2 steps.
        for family, extra in (("llama", {"num_key_value_heads": 1}), ("gpt2", {})):
            config = {
                "model": {"model_type": family, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
                          "intermediate_size": 16, "max_position_embeddings": 16, "tie_word_embeddings": True, **extra},
                "data": {"paths": [str(tmp / "text.txt")], "bpe_vocab_size": 280, "eval_fraction": 0.1,
                         "document_delimiter": "\n"},
                "training": {"steps": 2, "batch_size": 2, "seq_len": 8, "log_interval": 1},
                "checkpoint": {"interval": 2}, "output_dir": str(tmp / f"run-{family}")}
            (tmp / f"{family}.json").write_text(json.dumps(config))
            run(bytegrad, "train", "--config", str(tmp / f"{family}.json"), "--overwrite")
            run(bytegrad, "export", "--checkpoint", str(tmp / f"run-{family}"), "--out", str(tmp / f"hf-{family}"))
            directory = tmp / f"hf-{family}"
            config_json = (directory / "config.json").read_bytes()
            weights = (directory / "model.safetensors").read_bytes()
            seed("model_config", family, config_json)
            seed("model_directory", family, config_json, weights)
            seed("safetensors", family, weights)
            # The training run's tokens as llm.c shards (prep).
            run(bytegrad, "prep", "--config", str(tmp / f"{family}.json"), "--set", f'output_dir="{tmp / "shards"}"')
        for shard in sorted((tmp / "shards").glob("*.bin"))[:2]:
            seed("token_shard", shard.stem, shard.read_bytes())
        # Header-only safetensors with each dtype, and a zstd-compressed file.
        header = json.dumps({"__metadata__": {"format": "pt"},
                             "a": {"dtype": "BF16", "shape": [2, 1], "data_offsets": [0, 4]},
                             "b": {"dtype": "BOOL", "shape": [2], "data_offsets": [4, 6]},
                             "c": {"dtype": "I64", "shape": [1], "data_offsets": [6, 14]}}).encode()
        seed("safetensors", "dtypes", struct.pack("<Q", len(header)) + header + b"\x80\x3f\x00\x40\x01\x00" + struct.pack("<q", 7))
        run("zstd", "-q", "-19", str(tmp / "hf-llama" / "model.safetensors"), "-o", str(tmp / "model.safetensors.zst"))
        seed("safetensors", "llama-zstd", (tmp / "model.safetensors.zst").read_bytes())

        # A T-Free MemoryMap with its aligned chunk index (prep of a T-Free config), and a dictionary.
        tfree = {"model": {"model_type": "tfree", "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
                           "intermediate_size": 16, "max_position_embeddings": 16, "tfree_vocab_size": 64},
                 "data": {"paths": [str(tmp / "text.txt")], "document_delimiter": "\n", "eval_fraction": 0.1},
                 "training": {"steps": 1, "batch_size": 2, "seq_len": 8}, "output_dir": str(tmp / "map")}
        (tmp / "tfree.json").write_text(json.dumps(tfree))
        run(bytegrad, "prep", "--config", str(tmp / "tfree.json"))
        prefixes = sorted({p.name.split(".")[0] for p in (tmp / "map").iterdir() if p.name.endswith(".meta.json")})
        for prefix in prefixes[:1]:
            base = tmp / "map" / prefix
            files = [pathlib.Path(str(base) + s).read_bytes() for s in (".meta.json", ".idx", ".bin")]
            seed("memory_map", "documents", *files)
            aligned = [pathlib.Path(str(base) + s) for s in (".indices.bin", ".lengths.bin", ".offsets.bin")]
            if all(p.exists() for p in aligned):
                seed("memory_map", "aligned", *files, *(p.read_bytes() for p in aligned))
        run(bytegrad, "tfree", "dictionary", "--corpus", str(tmp / "text.txt"), "--top", "12", "--vocab-size", "64",
            "--out", str(tmp / "dictionary.jsonl"))
        seed("tfree_dictionary", "small", (tmp / "dictionary.jsonl").read_bytes())

    # JSONL written by hand: SFT prompt/response and chat lines, T-Free segment lists.
    seed("sft_jsonl", "both-forms", json.dumps({"prompt": "12+34=", "response": "46"}) + "\n\n" +
         json.dumps({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                                  {"role": "assistant", "content": "Hello"}]}) + "\n")
    seed("tfree_segments", "chat", json.dumps([
        {"type": "text", "content": "<|start_header_id|>user<|end_header_id|>\n\nHi there", "has_loss": False},
        {"type": "text", "content": "Hello! How are you?<|endoftext|>", "has_loss": True}]) + "\n")


if __name__ == "__main__":
    main()
