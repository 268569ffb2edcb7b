// The web page's HTML without a server: what a user or worker wrote is escaped, the login form
// never sends a browser to another site.
#include "server/web_pages.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace bitsearch::server {
namespace {

TEST(WebPagesTest, NextPathStaysOnThisServer) {
  EXPECT_EQ(SafeNextPath("/sweeps/sweep-1"), "/sweeps/sweep-1");
  EXPECT_EQ(SafeNextPath("/"), "/");
  for (const char* bad : {"", "sweeps", "//evil.example/x", "/\\evil.example", "http://evil.example",
                          "/a b", "/a\n", "/\x7f"}) {
    EXPECT_EQ(SafeNextPath(bad), "/") << bad;
  }
  EXPECT_EQ(SafeNextPath("/" + std::string(600, 'a')), "/");
}

TEST(WebPagesTest, LoginFormCarriesItsNextPathAndMessageEscaped) {
  std::string page = LoginPage("<b>no</b>", "/jobs/\"><script>");
  EXPECT_TRUE(absl::StrContains(page, "&lt;b&gt;no&lt;/b&gt;")) << page;
  EXPECT_FALSE(absl::StrContains(page, "<script>")) << page;
  EXPECT_TRUE(absl::StrContains(page, "name=\"next\"")) << page;
}

TEST(WebPagesTest, JobNamesErrorsAndSpecsAreEscaped) {
  JobLine line;
  line.job.id = "job-1";
  line.job.name = "<img src=x onerror=alert(1)>";
  line.job.state = JobState::kFailed;
  line.job.error = "<script>alert(2)</script>";
  line.job.spec_json = R"({"name":"</pre><script>alert(3)</script>"})";
  std::string job = JobPage(line, nullptr, {});
  std::string index = IndexPage({line}, {});
  for (const std::string& page : {job, index}) {
    EXPECT_FALSE(absl::StrContains(page, "<img")) << page;
    EXPECT_FALSE(absl::StrContains(page, "<script")) << page;
  }
  EXPECT_TRUE(absl::StrContains(job, "&lt;script&gt;alert(2)")) << job;
}

}  // namespace
}  // namespace bitsearch::server
