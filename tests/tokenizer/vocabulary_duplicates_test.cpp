// Near-duplicate vocabulary entries (tokenizer/vocabulary_duplicates.h), the T-Free paper's
// Table 1 measure.
#include <doctest/doctest.h>

#include "tokenizer/vocabulary_duplicates.h"

namespace bytegrad::tokenizer {
namespace {

TEST_CASE("entries repeated up to first-letter case, a leading space or digits are near-duplicates") {
  const VocabularyDuplicates d =
      count_vocabulary_duplicates({"the", "The", " the", "cat", "2019", "2020", "x1", "y", " ", "y", "Zebra"});
  CHECK(d.entries == 10);  // "y" once
  CHECK(d.capital == 2);   // the, The
  CHECK(d.space == 2);     // the, " the"
  CHECK(d.digits == 2);    // 2019, 2020
  CHECK(d.total == 5);     // the, The, " the", 2019, 2020
  CHECK(d.percent(d.total) == doctest::Approx(50.0));
}

TEST_CASE("byte-level and SentencePiece spaces read as spaces") {
  CHECK(piece_as_text("\xC4\xA0hello") == " hello");
  CHECK(piece_as_text("\xE2\x96\x81Hello\xE2\x96\x81") == " Hello ");
  CHECK(count_vocabulary_duplicates({piece_as_text("\xC4\xA0the"), "the"}).space == 2);
}

}  // namespace
}  // namespace bytegrad::tokenizer
