#include "client/report_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "base/test_temp_dir.h"
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
  // The chart and the report a write left, after checking that it succeeded and that the JSON
  // file holds `result` as given (the same checks for a job's and a sweep's files).
  std::pair<std::string, std::string> ChartAndReport(const absl::StatusOr<ResultFiles>& f,
                                                     const nlohmann::json& result) {
    EXPECT_TRUE(f.ok()) << f.status();
    if (!f.ok()) return {};
    EXPECT_EQ(nlohmann::json::parse(Slurp(f->json)), result);
    return {Slurp(f->svg), Slurp(f->html)};
  }

  TempDir dir_{"bitsearch-report-files"};
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
  auto [svg, html] = ChartAndReport(WriteResultFiles(SampleResult(), dir_.Path("sub/r.json"), c), SampleResult());
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(html.find("href=\"r.json\""), std::string::npos);
  EXPECT_NE(html.find("href=\"r.svg\""), std::string::npos);
  EXPECT_NE(html.find("job job-1 on 127.0.0.1:50051"), std::string::npos);
}

TEST_F(ReportFilesTest, WritesASweepsJsonChartAndReport) {
  SweepReportContext c;
  c.source = "sweep sweep-1 on 127.0.0.1:50051";
  auto [svg, html] =
      ChartAndReport(WriteSweepFiles(SampleSweepResult(), dir_.Path("s.json"), c), SampleSweepResult());
  EXPECT_NE(svg.find("id=\"sweep-bops\""), std::string::npos);
  EXPECT_NE(html.find("href=\"s.json\""), std::string::npos);
  EXPECT_NE(html.find("sample-sweep-mu0.1"), std::string::npos);
  EXPECT_NE(html.find("out of memory"), std::string::npos);
}

TEST_F(ReportFilesTest, AResultThatIsNotAnObjectWritesNothing) {
  for (const nlohmann::json& bad : {nlohmann::json(nullptr), nlohmann::json::array({1})}) {
    absl::StatusOr<ResultFiles> f = WriteResultFiles(bad, dir_.Path("r.json"), {});
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(std::filesystem::exists(dir_.Path("r.json")));
  }
}

}  // namespace
}  // namespace bitsearch
