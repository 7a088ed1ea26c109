#!/usr/bin/python3
"""PyTorch reference for bytegrad's generate() (tests/infer/torch_generate_test.cpp).

Ports the loop of Meta's Llama generate() (llama/generation.py; seed 004) to the hand-written
torch models of torch_models.py: a [B, total_len] buffer padded with pad_id = -1, decoding from
the shortest prompt, prompt tokens kept by input_text_mask, eos_reached, token log-probs as
-cross_entropy(ignore_index=pad_id), and the final cut (echo, max_gen_len, first EOS). The only
change is that each step runs the full forward over tokens[:, :cur_pos] and keeps the logits of
positions prev_pos..cur_pos-1, which is what Meta's cached forward(tokens[:, prev_pos:cur_pos],
prev_pos) computes. Decoding is greedy (temperature 0), so no random draws are compared.

For a Llama and a GPT-2 with random weights it writes, per model, the config, the weights, the
prompts (of unequal lengths), an EOS id that some row generates, and the tokens and log-probs
with echo off and on.

Usage: /usr/bin/python3 torch_generate.py OUTPUT.json
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402

SEED = 20261124
MAX_GEN_LEN = 10
PAD_ID = -1


def meta_generate(forward, prompt_tokens, max_seq_len, eos_id, echo):
    bsz = len(prompt_tokens)
    min_prompt_len = min(len(t) for t in prompt_tokens)
    max_prompt_len = max(len(t) for t in prompt_tokens)
    total_len = min(max_seq_len, MAX_GEN_LEN + max_prompt_len)
    tokens = torch.full((bsz, total_len), PAD_ID, dtype=torch.long)
    for k, t in enumerate(prompt_tokens):
        tokens[k, : len(t)] = torch.tensor(t, dtype=torch.long)
    token_logprobs = torch.zeros_like(tokens, dtype=torch.float)
    prev_pos = 0
    eos_reached = torch.tensor([False] * bsz)
    input_text_mask = tokens != PAD_ID
    for cur_pos in range(min_prompt_len, total_len):
        logits = forward(tokens[:, :cur_pos])[:, prev_pos:cur_pos]
        next_token = torch.argmax(logits[:, -1], dim=-1).reshape(-1)
        next_token = torch.where(input_text_mask[:, cur_pos], tokens[:, cur_pos], next_token)
        tokens[:, cur_pos] = next_token
        token_logprobs[:, prev_pos + 1 : cur_pos + 1] = -F.cross_entropy(
            input=logits.transpose(1, 2),
            target=tokens[:, prev_pos + 1 : cur_pos + 1],
            reduction="none",
            ignore_index=PAD_ID,
        )
        eos_reached |= (~input_text_mask[:, cur_pos]) & (next_token == eos_id)
        prev_pos = cur_pos
        if all(eos_reached):
            break
    token_logprobs = token_logprobs.tolist()
    out_tokens, out_logprobs = [], []
    for i, toks in enumerate(tokens.tolist()):
        start = 0 if echo else len(prompt_tokens[i])
        toks = toks[start : len(prompt_tokens[i]) + MAX_GEN_LEN]
        probs = token_logprobs[i][start : len(prompt_tokens[i]) + MAX_GEN_LEN]
        if eos_id in toks:
            eos_idx = toks.index(eos_id)
            toks = toks[:eos_idx]
            probs = probs[:eos_idx]
        out_tokens.append(toks)
        out_logprobs.append(probs)
    return out_tokens, out_logprobs


def case(config, build_weights, forward_fn, generator, max_seq_len):
    weights = build_weights(config, generator)
    vocab = config["vocab_size"]
    prompts = [torch.randint(0, vocab, (n,), generator=generator).tolist() for n in (3, 6, 4)]

    def forward(ids):
        with torch.no_grad():
            return forward_fn(config, weights, ids)

    # An EOS that the second row generates at its fourth step (and no row earlier than that
    # would matter: the cut takes the first occurrence wherever it is).
    free_tokens, _ = meta_generate(forward, prompts, max_seq_len, eos_id=-2, echo=False)
    eos_id = free_tokens[1][3]
    results = {}
    for echo in (False, True):
        tokens, logprobs = meta_generate(forward, prompts, max_seq_len, eos_id, echo)
        results["echo" if echo else "plain"] = {"tokens": tokens, "log_probs": logprobs}
    return {
        "config": config,
        "weights": {name: {"shape": list(value.shape), "data": value.detach().reshape(-1).tolist()}
                    for name, value in weights.tensors.items()},
        "prompts": prompts,
        "eos_id": eos_id,
        "max_gen_len": MAX_GEN_LEN,
        "results": results,
    }


def main():
    generator = torch.Generator().manual_seed(SEED)
    cases = {
        "llama": case(torch_models.LLAMA_CONFIG, torch_models.llama_weights, torch_models.llama_forward,
                      generator, torch_models.LLAMA_CONFIG["max_position_embeddings"]),
        "gpt2": case(torch_models.GPT2_CONFIG, torch_models.gpt2_weights, torch_models.gpt2_forward,
                     generator, torch_models.GPT2_CONFIG["n_positions"]),
    }
    with open(sys.argv[1], "w") as out:
        json.dump(cases, out)


if __name__ == "__main__":
    main()
