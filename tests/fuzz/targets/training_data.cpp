// Training data files: llm.c token shards, MemoryMaps with their aligned chunk index, SFT JSONL,
// T-Free segment lists and T-Free dictionaries. Whatever a reader accepts is read through to the
// end, as a training run would.
#include <string>

#include "../fuzz_target.h"
#include "tokenizer/tfree_dictionary.h"
#include "train/data/aligned_memory_map.h"
#include "train/data/memory_map.h"
#include "train/data/token_shards.h"
#include "train/data/word_segments.h"
#include "train/sft/data.h"

using namespace bytegrad;

BYTEGRAD_FUZZ_TARGET(token_shard) {
  const std::string path = fuzz::write_scratch_file("shards/train_000.bin", input).string();
  const train::TokenShard shard(path);
  if (shard.size() > 0) (void)shard.read(0, shard.size());
  (void)train::read_shard_tokens({path});
}

// Input: P.meta.json, P.idx, P.bin, then (optional) the aligned index's P.indices.bin,
// P.lengths.bin, P.offsets.bin; all separated.
BYTEGRAD_FUZZ_TARGET(memory_map) {
  const auto parts = fuzz::split_parts(input, 6);
  const char* suffixes[] = {".meta.json", ".idx", ".bin", ".indices.bin", ".lengths.bin", ".offsets.bin"};
  for (int i = 0; i < 6; ++i) fuzz::write_scratch_file(std::string("map/corpus") + suffixes[i], parts[i]);
  const std::string prefix = (fuzz::scratch_folder() / "map/corpus").string();
  {
    const train::MemoryMap map(prefix);
    for (int64_t i = 0; i < map.size(); ++i) (void)map[i];
  }
  if (parts[3].empty()) return;
  const train::AlignedMemoryMap aligned(prefix);
  for (int64_t g = 0; g < aligned.size(); ++g) {
    (void)aligned.group(g);
    (void)aligned.group_bytes(g);
  }
}

BYTEGRAD_FUZZ_TARGET(sft_jsonl) {
  (void)train::read_sft_jsonl(fuzz::write_scratch_file("sft/train.jsonl", input));
}

BYTEGRAD_FUZZ_TARGET(tfree_segments) {
  (void)train::read_segment_samples(fuzz::write_scratch_file("segments/train.jsonl", input));
}

BYTEGRAD_FUZZ_TARGET(tfree_dictionary) {
  const auto dictionary = tokenizer::TfreeDictionary::load(fuzz::write_scratch_file("tfree/dictionary.jsonl", input));
  (void)dictionary.size();
}
