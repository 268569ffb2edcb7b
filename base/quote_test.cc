#include "base/quote.h"

#include <gtest/gtest.h>

#include <string>

namespace bitsearch {
namespace {

TEST(QuotedTest, ShortValuesWholeLongOnesAsAPrefixWithTheirSize) {
  EXPECT_EQ(Quoted("lenet5"), "\"lenet5\"");
  std::string big(100000, 'a');
  std::string q = Quoted(big);
  EXPECT_EQ(q, "\"" + std::string(48, 'a') + "...\" (100000 bytes)");
  EXPECT_LT(q.size(), 80u);
  EXPECT_EQ(Quoted("a\nb\x01"), "\"a?b?\"");
  // "é" is two bytes; a cut inside it backs up to its start.
  EXPECT_EQ(Quoted("ab\xc3\xa9zz", 3), "\"ab...\" (6 bytes)");
}

}  // namespace
}  // namespace bitsearch
