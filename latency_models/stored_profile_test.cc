#include "latency_models/stored_profile.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "latency_models/profile_json.h"

namespace bitsearch {
namespace {

const char kCsv[] =
    "type,groups,kernel_h,kernel_w,stride,padding,in_h,in_w,out_h,out_w,in_channels,"
    "out_channels,act_bits,weight_bits,latency\n"
    "conv,1,5,5,1,0,28,28,24,24,1,32,8,8,0.002\n"
    "conv,1,5,5,1,0,28,28,24,24,1,32,4,4,0.001\n";

TEST(StoredProfileTest, BuiltinsAreKnown) {
  EXPECT_TRUE(IsBuiltinProfile("bops"));
  EXPECT_TRUE(IsBuiltinProfile("pulp-xpulpv2"));
  EXPECT_FALSE(IsBuiltinProfile("my-board"));
}

TEST(StoredProfileTest, MeasuredCsvBecomesALookupTableProfile) {
  absl::StatusOr<std::string> json = StoredProfileJson("my-board", "csv", kCsv);
  ASSERT_TRUE(json.ok()) << json.status();
  absl::StatusOr<ParsedProfile> parsed = ParseProfileJson(*json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->info.name, "my-board");
  EXPECT_EQ(parsed->info.kind, "lut");
  EXPECT_EQ(parsed->info.unit, kStoredCsvUnit);
}

TEST(StoredProfileTest, JsonProfileIsReturnedAsUploaded) {
  std::string text = R"({"name": "fast", "kind": "bops"})";
  absl::StatusOr<std::string> json = StoredProfileJson("fast", "json", text);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, text);
}

TEST(StoredProfileTest, ErrorsNameFieldLineAndColumn) {
  std::string bad_csv = kCsv;
  bad_csv += "conv,1,5,5,1,0,28,28,24,24,1,32,2,2,fast\n";
  absl::StatusOr<std::string> st = StoredProfileJson("b", "csv", bad_csv);
  ASSERT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(st.status().message(), "profile.content: line 4"))
      << st.status();
  EXPECT_TRUE(absl::StrContains(st.status().message(), "latency")) << st.status();

  st = StoredProfileJson("b", "json", "{\"name\": \"b\",\n \"kind\": }");
  ASSERT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(st.status().message(), "profile.content")) << st.status();
  EXPECT_TRUE(absl::StrContains(st.status().message(), "line 2, column")) << st.status();

  st = StoredProfileJson("b", "json", R"({"name": "b", "kind": "analytic", "unit": "cycles"})");
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(st.status().message(), "analytic")) << st.status();

  st = StoredProfileJson("b", "json", R"({"name": "other", "kind": "bops"})");
  EXPECT_TRUE(absl::StrContains(st.status().message(), "names itself 'other'")) << st.status();

  st = StoredProfileJson("b", "yaml", "a: 1");
  EXPECT_TRUE(absl::StrContains(st.status().message(), "profile.format")) << st.status();
}

}  // namespace
}  // namespace bitsearch
