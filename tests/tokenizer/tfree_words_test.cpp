// T-Free word splitting (tokenizer/tfree_words.h): the measured vectors of the original's
// wordsplit.py, round trips, and bad input.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "tokenizer/tfree_words.h"

namespace bytegrad::tokenizer {
namespace {

using Words = std::vector<std::string>;

struct Vector {
  std::string text;
  Words words;
};

// Words measured with the original's wordsplit.py, including those of its own tests.
const std::vector<Vector>& vectors() {
  static const std::vector<Vector> all = {
      {"Hello World!", {"Hello", "World", "!"}},
      {"Hello world!", {"Hello", "world", "!"}},
      {"In 2024", {"In", "<|ws|>", "2", "0", "2", "4"}},
      {"In20 24", {"In", "2", "0", "<|ws|>", "2", "4"}},
      {"a  b", {"a", "<|2<-ws->|>", "b"}},
      {"x\n\n\ny", {"x", "<|2<-\n->|>", "<|\n|>", "y"}},
      {"foo_bar(baz)", {"foo", "_", "bar", "<|no_ws|>", "(", "baz", ")"}},
      {"It's 3.5%", {"It", "'", "s", "<|ws|>", "3", ".", "5", "%"}},
      {"Hello<|endoftext|> World", {"Hello", "<|endoftext|>", "<|ws|>", "World"}},
      {"na\xC3\xAFve caf\xC3\xA9", {"na\xC3\xAFve", "caf\xC3\xA9"}},
      // नमस्ते: the virama and the vowel sign are marks, so \W, and split off.
      {"\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87",
       {"\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8", "<|no_ws|>", "\xE0\xA5\x8D", "<|no_ws|>", "\xE0\xA4\xA4", "<|no_ws|>",
        "\xE0\xA5\x87"}},
      {"co-operate", {"co", "-", "operate"}},
      {"  lead", {"<|2<-ws->|>", "lead"}},
      {"end  ", {"end", "<|2<-ws->|>"}},
      {"<|\n|>", {"<|\n|>"}},
      {"a (b) [c] {d}", {"a", "(", "b", ")", "[", "c", "]", "<|ws|>", "{", "<|no_ws|>", "d", "<|no_ws|>", "}"}},
      {"e-mail: a@b.com", {"e", "-", "mail", ":", "a", "@", "b", ".", "<|no_ws|>", "com"}},
      {"3rd", {"3", "<|no_ws|>", "rd"}},
      {"U.S.A.", {"U", ".", "<|no_ws|>", "S", ".", "<|no_ws|>", "A", "."}},
      {"\tTab", {"\t", "<|no_ws|>", "Tab"}},
      {"a\r\nb", {"a", "<|no_ws|>", "\r", "<|\n|>", "b"}},
      {"\xC2\xB2x", {"\xC2\xB2x"}},  // '²' is \w but not \d
      {"a\n b", {"a", "<|\n|>", "<|ws|>", "b"}},
      {"a \nb", {"a", "<|ws|>", "<|\n|>", "b"}},
      {"     x", {"<|4<-ws->|>", "<|ws|>", "x"}},
      {"x\n\n\n\n\n\n\ny", {"x", "<|4<-\n->|>", "<|2<-\n->|>", "<|\n|>", "y"}},
      {"x          y", {"x", "<|4<-ws->|>", "<|4<-ws->|>", "<|2<-ws->|>", "y"}},
      {"This is a <|test with some numbers 1234.",
       {"This", "is", "a", "<", "|", "<|no_ws|>", "test", "with", "some", "numbers", "<|ws|>", "1", "2", "3", "4", "."}},
  };
  return all;
}

TEST_CASE("text_to_words gives the original's words for every measured vector") {
  for (const Vector& v : vectors()) {
    CAPTURE(v.text);
    CHECK(text_to_words(v.text) == v.words);
  }
}

TEST_CASE("words_to_text inverts text_to_words on every measured vector") {
  for (const Vector& v : vectors()) {
    CAPTURE(v.text);
    // The literal text "<|\n|>" is the newline marker itself, so it reads back as "\n" (as in the
    // original): the one input that does not round-trip.
    if (v.text == "<|\n|>") {
      CHECK(words_to_text(v.words) == "\n");
      continue;
    }
    CHECK(words_to_text(v.words) == v.text);
  }
}

TEST_CASE("whitespace runs merge into tokens of at most 4, for every run length") {
  for (int n = 1; n <= 13; ++n) {
    const std::string text = "a" + std::string(std::size_t(n), ' ') + "b\n" + std::string(std::size_t(n), '\n') + "c";
    CAPTURE(n);
    const Words words = text_to_words(text);
    for (const std::string& w : words) CHECK((w.find("<|6") == std::string::npos && w.find("<|8") == std::string::npos));
    CHECK(words_to_text(words) == text);
  }
}

TEST_CASE("a special token does not cross a newline, and the shortest one is taken") {
  CHECK(text_to_words("<|a\nb|>") == Words{"<|a\nb|>"});  // the whole piece looks special
  CHECK(text_to_words("x <|a\nb|>") == Words{"x", "<", "|", "<|no_ws|>", "a", "<|\n|>", "b", "<|no_ws|>", "|", ">"});
  CHECK(text_to_words("<|a|>b|>") == Words{"<|a|>", "b", "<|no_ws|>", "|", ">"});
  CHECK(text_to_words("<|<|a|>") == Words{"<|<|a|>"});
}

TEST_CASE("the larger run tokens of the dictionary decode as their counts") {
  CHECK(words_to_text({"a", "<|6<-ws->|>", "b"}) == "a      b");
  CHECK(words_to_text({"a", "<|8<-\n->|>", "b"}) == "a\n\n\n\n\n\n\n\nb");
  CHECK_THROWS_AS(words_to_text({"<|99999999<-ws->|>"}), std::invalid_argument);
}

TEST_CASE("empty text has no words and empty words are skipped") {
  CHECK(text_to_words("").empty());
  CHECK(words_to_text({}).empty());
  CHECK(words_to_text({"a", "", "b"}) == "a b");
}

TEST_CASE("invalid UTF-8 is an error naming the byte offset") {
  CHECK_THROWS_WITH_AS(text_to_words("ok \xC3("), "T-Free text_to_words: invalid UTF-8 at byte 3 of 5",
                       std::invalid_argument);
  CHECK_THROWS_AS(text_to_words("\xED\xA0\x80"), std::invalid_argument);  // a surrogate
  CHECK_THROWS_AS(text_to_words("\xC0\xAF"), std::invalid_argument);      // overlong
}

TEST_CASE("a one-megabyte word splits into one word, and many unclosed markers stay linear") {
  const std::string word(1 << 20, 'x');
  CHECK(text_to_words(word) == Words{word});
  std::string markers;
  for (int i = 0; i < 100000; ++i) markers += "<|a";
  const Words words = text_to_words(markers);
  CHECK(words_to_text(words) == markers);
}

}  // namespace
}  // namespace bytegrad::tokenizer
