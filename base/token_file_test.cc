#include "base/token_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace bitsearch {
namespace {

std::string WriteTemp(const std::string& contents) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "bitsearch-token-XXXXXX").string();
  int fd = mkstemp(tmpl.data());
  close(fd);
  std::ofstream(tmpl) << contents;
  return tmpl;
}

TEST(TokenFileTest, SkipsCommentsBlankLinesAndWhitespace) {
  std::string path = WriteTemp("# clients\n\n  alpha  \r\nbeta\n# old: gamma\n");
  auto tokens = ReadTokenFile(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(*tokens, (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(*ReadFirstToken(path), "alpha");
  std::filesystem::remove(path);
}

TEST(TokenFileTest, EmptyMissingAndSpacedTokensAreErrors) {
  std::string empty = WriteTemp("# nothing here\n\n");
  EXPECT_EQ(ReadTokenFile(empty).status().code(), absl::StatusCode::kInvalidArgument);
  std::string spaced = WriteTemp("two words\n");
  absl::Status st = ReadTokenFile(spaced).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("line 1"), std::string::npos) << st;
  EXPECT_EQ(ReadFirstToken("/nonexistent/token").status().code(), absl::StatusCode::kNotFound);
  std::filesystem::remove(empty);
  std::filesystem::remove(spaced);
}

}  // namespace
}  // namespace bitsearch
