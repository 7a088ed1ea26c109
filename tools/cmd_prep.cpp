// `bytegrad prep --config FILE [--set KEY=VALUE ...]`
// Tokenizes a training config's corpus once and writes it as llm.c token shards
// (train/data/token_shards.h) beside the tokenizer: output_dir/train.bin and output_dir/val.bin,
// for llm.c, nanoGPT-style loaders or a later look at the data.
// A T-Free config's corpus has no tokens: it becomes a MemoryMap of its documents with the
// aligned chunk index of T-Free's pre-training (train/data/aligned_memory_map.h) at
// output_dir/corpus, which the config's "data.memory_map" can then name.
#include <cstdio>

#include "tools/cmd_run_args.h"
#include "tools/commands.h"
#include "train/data/aligned_memory_map.h"
#include "train/data/token_shards.h"

namespace bytegrad::tools {

namespace {

int prep_memory_map(const train::RunConfig& config) {
  const train::TextCorpus corpus = train::read_text_corpus(config.data.corpus);
  const std::string prefix = (config.output_dir / "corpus").string();
  train::MemoryMapWriter writer(prefix);
  for (const std::string& document : corpus.documents) writer.add(document);
  writer.finish();
  const train::AlignedIndexSummary aligned = train::build_aligned_index(prefix);
  std::printf("wrote a MemoryMap of %zu documents (%.2f MB) -> %s.{bin,idx,meta.json}\n", corpus.documents.size(),
              double(corpus.bytes) / 1e6, prefix.c_str());
  std::printf("aligned index: %lld groups of about 20,000 bytes in %lld chunks (%lld documents shorter than 100 bytes "
              "skipped; the last, unfilled group left out) -> %s.{indices,lengths,offsets}.bin\n",
              static_cast<long long>(aligned.groups), static_cast<long long>(aligned.chunks),
              static_cast<long long>(aligned.skipped_documents), prefix.c_str());
  std::printf("train from it with --set data.memory_map=%s (and without data.paths)\n", prefix.c_str());
  return 0;
}

}  // namespace

int run_prep(const Args& args) {
  const RunArgs cli = parse_run_args("prep", args);
  nlohmann::json resolved;
  const train::RunConfig config = train::load_run_config(cli.config, cli.overrides, resolved);
  std::filesystem::create_directories(config.output_dir);
  if (config.model_type == "tfree") return prep_memory_map(config);
  const train::CorpusTokens data = train::tokenize_corpus(config.data, config.output_dir, config.trainer.seed);
  print_data_summary(data, config.output_dir);
  // Version 1 stores uint16 tokens, enough for vocabularies up to 65536.
  const int version = data.tokenizer.vocab_size() <= 65536 ? 1 : 2;
  for (const auto& [name, tokens] : {std::pair{"train.bin", &data.train}, std::pair{"val.bin", &data.eval}}) {
    std::vector<uint32_t> wide;
    wide.reserve(size_t(tokens->size()));
    tokens->for_each_chunk([&](std::span<const int64_t> ids) { wide.insert(wide.end(), ids.begin(), ids.end()); });
    const std::filesystem::path path = config.output_dir / name;
    train::write_token_shard(path.string(), wide, version);
    std::printf("wrote %zu tokens -> %s\n", wide.size(), path.c_str());
  }
  return 0;
}

}  // namespace bytegrad::tools
