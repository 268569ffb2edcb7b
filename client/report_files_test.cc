#include "client/report_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "search/report/test_util.h"

namespace bitsearch {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ReportFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("bitsearch-report-files-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ReportFilesTest, PathsBesideTheJson) {
  ResultFiles f = ResultFilesFor("out/r.json");
  EXPECT_EQ(f.svg, "out/r.svg");
  EXPECT_EQ(f.html, "out/r.html");
  EXPECT_EQ(ResultFilesFor("r").html, "r.html");
}

TEST_F(ReportFilesTest, WritesJsonChartAndReport) {
  ReportContext c;
  c.source = "job job-1 on 127.0.0.1:50051";
  absl::StatusOr<ResultFiles> f = WriteResultFiles(SampleResult(), (dir_ / "sub/r.json").string(), c);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(nlohmann::json::parse(Slurp(f->json)), SampleResult());
  EXPECT_EQ(Slurp(f->svg).rfind("<svg", 0), 0u);
  std::string html = Slurp(f->html);
  EXPECT_NE(html.find("href=\"r.json\""), std::string::npos);
  EXPECT_NE(html.find("href=\"r.svg\""), std::string::npos);
  EXPECT_NE(html.find("job job-1 on 127.0.0.1:50051"), std::string::npos);
}

TEST_F(ReportFilesTest, WritesASweepsJsonChartAndReport) {
  SweepReportContext c;
  c.source = "sweep sweep-1 on 127.0.0.1:50051";
  absl::StatusOr<ResultFiles> f = WriteSweepFiles(SampleSweepResult(), (dir_ / "s.json").string(), c);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(nlohmann::json::parse(Slurp(f->json)), SampleSweepResult());
  EXPECT_NE(Slurp(f->svg).find("id=\"sweep-bops\""), std::string::npos);
  std::string html = Slurp(f->html);
  EXPECT_NE(html.find("href=\"s.json\""), std::string::npos);
  EXPECT_NE(html.find("sample-sweep-mu0.1"), std::string::npos);
  EXPECT_NE(html.find("out of memory"), std::string::npos);
}

TEST_F(ReportFilesTest, AResultThatIsNotAnObjectWritesNothing) {
  for (const nlohmann::json& bad : {nlohmann::json(nullptr), nlohmann::json::array({1})}) {
    absl::StatusOr<ResultFiles> f = WriteResultFiles(bad, (dir_ / "r.json").string(), {});
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(std::filesystem::exists(dir_ / "r.json"));
  }
}

}  // namespace
}  // namespace bitsearch
