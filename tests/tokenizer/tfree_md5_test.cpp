// MD5 (tokenizer/md5.h) against every test vector of RFC 1321, appendix A.5.
#include <doctest/doctest.h>

#include <string>

#include "tokenizer/md5.h"

namespace bytegrad::tokenizer {
namespace {

TEST_CASE("md5 gives RFC 1321's digests") {
  CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(md5_hex("a") == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(md5_hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(md5_hex("abcdefghijklmnopqrstuvwxyz") == "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
        "d174ab98d277d9f5a5611c2c9f419d9f");
  CHECK(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890") ==
        "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("md5 pads correctly around the 56- and 64-byte block edges") {
  // Python's hashlib.md5(b"a" * n).hexdigest().
  const std::string a55(55, 'a'), a56(56, 'a'), a64(64, 'a');
  CHECK(md5_hex(a55) == "ef1772b6dff9a122358552954ad0df65");
  CHECK(md5_hex(a56) == "3b0c8ac703f828b04c6c197006d17218");
  CHECK(md5_hex(a64) == "014842d480b571495a4a0363793f7367");
}

TEST_CASE("md5_mod reads the digest as a big-endian integer") {
  // int("900150983cd24fb0d6963f7d28e17f72", 16) % 32000 and % 2^40, from Python.
  CHECK(md5_mod("abc", 32000) == 19570);
  CHECK(md5_mod("abc", uint64_t(1) << 40) == 0x7d28e17f72ull);
}

}  // namespace
}  // namespace bytegrad::tokenizer
