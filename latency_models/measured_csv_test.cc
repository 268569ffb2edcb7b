#include "latency_models/measured_csv.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "latency_models/test_layers.h"

namespace bitsearch {
namespace {

const char kHeader[] =
    "type,groups,kernel_h,kernel_w,stride,padding,in_h,in_w,out_h,out_w,in_channels,"
    "out_channels,act_bits,weight_bits,latency\n";

LayerSignature Conv5() { return TestValidConv(1, 32, 5, 28); }

// Fills the empty latency column of an exported spec the way a user measuring would.
std::string FillLatencies(const std::string& spec) {
  std::string out;
  int i = 0;
  for (absl::string_view line : absl::StrSplit(spec, '\n', absl::SkipEmpty())) {
    if (i == 0) {
      absl::StrAppend(&out, line, "\n");
    } else {
      absl::StrAppend(&out, line, 0.5 + i * 0.001, "\n");
    }
    ++i;
  }
  return out;
}

TEST(MeasuredCsvTest, ExportImportRoundTrip) {
  const std::vector<LayerSignature> sigs = {Conv5(), LayerSignature::Linear(512, 10), Conv5()};
  const std::string spec = ExportSpecCsv(sigs, DefaultBitPairs());
  // Duplicate signatures merge: 2 unique x 9 pairs + header.
  EXPECT_EQ(std::count(spec.begin(), spec.end(), '\n'), 1 + 2 * 9);
  EXPECT_EQ(spec.rfind(kHeader, 0), 0u);
  // An unfilled spec is not a measured table.
  absl::StatusOr<std::vector<LatencyRow>> unfilled = ParseMeasuredCsv(spec, "spec.csv");
  ASSERT_FALSE(unfilled.ok());
  EXPECT_NE(unfilled.status().message().find("spec.csv: line 2, column 15 (latency)"),
            std::string::npos)
      << unfilled.status();

  absl::StatusOr<std::vector<LatencyRow>> rows = ParseMeasuredCsv(FillLatencies(spec), "m.csv");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 18u);
  // Writing the rows back and reading them again is lossless.
  absl::StatusOr<std::vector<LatencyRow>> again = ParseMeasuredCsv(RowsToCsv(*rows), "again.csv");
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->size(), rows->size());
  for (size_t i = 0; i < rows->size(); ++i) {
    EXPECT_EQ((*again)[i].signature, (*rows)[i].signature);
    EXPECT_EQ((*again)[i].act_bits, (*rows)[i].act_bits);
    EXPECT_EQ((*again)[i].weight_bits, (*rows)[i].weight_bits);
    EXPECT_EQ((*again)[i].latency, (*rows)[i].latency);
  }
}

TEST(MeasuredCsvTest, HeaderColumnsMayComeInAnyOrderAndCrlfIsFine) {
  const std::string text =
      "latency,act_bits,weight_bits,type,groups,kernel_h,kernel_w,stride,padding,in_h,in_w,out_h,"
      "out_w,in_channels,out_channels\r\n"
      "1.5,8,8,linear,1,1,1,1,0,1,1,1,1,84,10\r\n";
  absl::StatusOr<std::vector<LatencyRow>> rows = ParseMeasuredCsv(text, "t.csv");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0].signature, LayerSignature::Linear(84, 10));
  EXPECT_DOUBLE_EQ((*rows)[0].latency, 1.5);
}

struct BadCase {
  const char* name;
  std::string text;
  std::string expected;  // substring of the error
};

class MalformedCsvTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedCsvTest, RefusedWithLineAndColumn) {
  absl::StatusOr<std::vector<LatencyRow>> rows = ParseMeasuredCsv(GetParam().text, "in.csv");
  ASSERT_FALSE(rows.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(rows.status()));
  EXPECT_NE(rows.status().message().find(GetParam().expected), std::string::npos)
      << "got: " << rows.status().message();
}

const char kRow[] = "conv,1,5,5,1,0,28,28,24,24,1,32,";
INSTANTIATE_TEST_SUITE_P(
    AllCases, MalformedCsvTest,
    ::testing::Values(
        BadCase{"MissingColumn",
                "type,groups,kernel_h,kernel_w,stride,padding,in_h,in_w,out_h,out_w,in_channels,"
                "out_channels,act_bits,weight_bits\nconv,1,5,5,1,0,28,28,24,24,1,32,8,8\n",
                "in.csv: line 1: missing column 'latency'"},
        BadCase{"UnknownColumn", absl::StrCat("dilation,", kHeader),
                "in.csv: line 1, column 1 (dilation): unknown column"},
        BadCase{"NegativeLatency", absl::StrCat(kHeader, kRow, "8,8,1.0\n", kRow, "8,4,-2\n"),
                "in.csv: line 3, column 15 (latency): latency -2 is negative"},
        BadCase{"NonNumericLatency", absl::StrCat(kHeader, kRow, "8,8,fast\n"),
                "in.csv: line 2, column 15 (latency): 'fast' is not a number"},
        BadCase{"EmptyLatency", absl::StrCat(kHeader, kRow, "8,8,\n"),
                "in.csv: line 2, column 15 (latency): latency is empty"},
        BadCase{"DuplicateRow",
                absl::StrCat(kHeader, kRow, "8,8,1\n", kRow, "4,4,1\n", kRow, "8,8,2\n"),
                "in.csv: line 4: duplicate row, same signature and bits as line 2"},
        BadCase{"UnknownLayerType",
                absl::StrCat(kHeader, "pool,1,2,2,2,0,28,28,14,14,1,1,8,8,1\n"),
                "in.csv: line 2, column 1 (type): unknown layer type 'pool'"},
        BadCase{"NonIntegerField",
                absl::StrCat(kHeader, "conv,1,5,5,1,0,28.5,28,24,24,1,32,8,8,1\n"),
                "in.csv: line 2, column 7 (in_h): '28.5' is not an integer"},
        BadCase{"BadBitWidth", absl::StrCat(kHeader, kRow, "8,64,1\n"),
                "in.csv: line 2, column 14 (weight_bits): bit width 64 is outside 1..32"},
        BadCase{"ImpossibleShape",
                absl::StrCat(kHeader, "conv,3,3,3,1,1,8,8,8,8,4,8,8,8,1\n"),
                "in.csv: line 2, column 2 (groups)"},
        BadCase{"WrongFieldCount", absl::StrCat(kHeader, kRow, "8,8\n"),
                "in.csv: line 2: 14 fields, expected 15"},
        BadCase{"NoRows", std::string(kHeader), "in.csv: no data rows"},
        BadCase{"Empty", std::string(""), "in.csv: file is empty"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

}  // namespace
}  // namespace bitsearch
