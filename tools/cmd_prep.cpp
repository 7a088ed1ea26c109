// `bytegrad prep --config FILE [--set KEY=VALUE ...]`
// Tokenizes a training config's corpus once and writes it as llm.c token shards
// (train/data/token_shards.h) beside the tokenizer: output_dir/train.bin and output_dir/val.bin,
// for llm.c, nanoGPT-style loaders or a later look at the data.
#include <cstdio>

#include "tools/cmd_run_args.h"
#include "tools/commands.h"
#include "train/data/token_shards.h"

namespace bytegrad::tools {

int run_prep(const Args& args) {
  const RunArgs cli = parse_run_args("prep", args);
  nlohmann::json resolved;
  const train::RunConfig config = train::load_run_config(cli.config, cli.overrides, resolved);
  std::filesystem::create_directories(config.output_dir);
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
