#include "latency_models/profile_registry.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "base/atomic_file.h"
#include "latency_models/measured_csv.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

class ProfileRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bitsearch-profiles-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string WriteCsv(const std::string& name, const std::string& text) {
    fs::create_directories(dir_ / "in");
    const fs::path p = dir_ / "in" / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::string profiles() const { return (dir_ / "profiles").string(); }

  fs::path dir_;
};

std::string MeasuredTable() {
  std::string spec = ExportSpecCsv({LayerSignature::Linear(84, 10)}, {{8, 8}, {4, 4}});
  // Fill the two rows: a4/w4 then a8/w8 (pairs are written sorted).
  const size_t first = spec.find(",\n");
  spec.replace(first, 2, ",2.5\n");
  const size_t second = spec.find(",\n", first);
  spec.replace(second, 2, ",1.25\n");
  return spec;
}

TEST_F(ProfileRegistryTest, ListsAndLoadsBuiltins) {
  absl::StatusOr<std::vector<ProfileListing>> all = ListProfiles(profiles());
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> names;
  for (const ProfileListing& l : *all) {
    EXPECT_TRUE(l.error.empty()) << l.info.name << ": " << l.error;
    EXPECT_TRUE(l.info.builtin);
    if (l.info.name != "bops") {
      EXPECT_FALSE(l.info.sources.empty()) << l.info.name;
      EXPECT_FALSE(l.info.assumptions.empty()) << l.info.name;
    }
    names.push_back(l.info.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"bitserial", "bops", "npu-int8", "pulp-xpulpnn",
                                             "pulp-xpulpv2"}));
  absl::StatusOr<std::unique_ptr<LatencyModel>> m = LoadProfile("pulp-xpulpv2", profiles());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)->unit(), "cycles");
  absl::StatusOr<std::unique_ptr<LatencyModel>> unknown = LoadProfile("nope", profiles());
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(absl::IsNotFound(unknown.status()));
  EXPECT_NE(unknown.status().message().find("pulp-xpulpv2"), std::string::npos);
}

TEST_F(ProfileRegistryTest, ImportThenLoadGivesTheMeasuredNumbers) {
  const std::string csv = WriteCsv("m.csv", MeasuredTable());
  absl::StatusOr<ProfileInfo> info = ImportMeasuredCsv(csv, "my-board", profiles());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->kind, "lut");
  EXPECT_TRUE(fs::exists(dir_ / "profiles" / "my-board.json"));
  absl::StatusOr<std::unique_ptr<LatencyModel>> m = LoadProfile("my-board", profiles());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)->unit(), "seconds");
  EXPECT_DOUBLE_EQ(*(*m)->Latency(LayerSignature::Linear(84, 10), 4, 4), 2.5);
  EXPECT_DOUBLE_EQ(*(*m)->Latency(LayerSignature::Linear(84, 10), 8, 8), 1.25);
  EXPECT_FALSE((*m)->Latency(LayerSignature::Linear(84, 20), 8, 8).ok());
  absl::StatusOr<std::vector<ProfileListing>> all = ListProfiles(profiles());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->back().info.name, "my-board");
  EXPECT_FALSE(all->back().info.builtin);
  // Only the profile file is left behind: the temporary file was renamed.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "profiles")) files += e.is_regular_file();
  EXPECT_EQ(files, 1);

  // With the fallback on, an unmeasured shape is scaled from the nearest measured one.
  ImportOptions opts;
  opts.allow_fallback = true;
  opts.unit = "cycles";
  ASSERT_TRUE(ImportMeasuredCsv(csv, "my-board-fb", profiles(), opts).ok());
  m = LoadProfile("my-board-fb", profiles());
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(*(*m)->Latency(LayerSignature::Linear(84, 20), 8, 8), 2.5);
}

TEST_F(ProfileRegistryTest, ImportRefusesBadNamesBuiltinNamesAndBadTables) {
  const std::string csv = WriteCsv("m.csv", MeasuredTable());
  for (const char* bad : {"../evil", "Upper", "", "-lead", "a/b"}) {
    absl::StatusOr<ProfileInfo> r = ImportMeasuredCsv(csv, bad, profiles());
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("bad profile name"), std::string::npos) << bad;
  }
  absl::StatusOr<ProfileInfo> shadow = ImportMeasuredCsv(csv, "pulp-xpulpv2", profiles());
  ASSERT_FALSE(shadow.ok());
  EXPECT_TRUE(absl::IsAlreadyExists(shadow.status()));
  const std::string broken = WriteCsv("b.csv", MeasuredTable() + "linear,1,1,1,1,0,1,1,1,1,84,"
                                                                 "10,2,2,-1\n");
  absl::StatusOr<ProfileInfo> r = ImportMeasuredCsv(broken, "broken", profiles());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 4, column 15 (latency)"), std::string::npos)
      << r.status();
  EXPECT_FALSE(fs::exists(dir_ / "profiles" / "broken.json"));
  EXPECT_TRUE(absl::IsNotFound(ImportMeasuredCsv((dir_ / "none.csv").string(), "x", profiles())
                                   .status()));
}

TEST_F(ProfileRegistryTest, ParseProfileJsonNamesTheField) {
  struct Case {
    std::string json;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"{", "not valid JSON"},
      {R"({"name": "x", "kind": "bops", "colour": 1})", "'colour': unknown field"},
      {R"({"kind": "bops"})", "'name': required"},
      {R"({"name": "x", "kind": "magic", "unit": "cycles"})", "'kind': 'magic'"},
      {R"({"name": "x", "kind": "analytic", "unit": "hours"})", "'unit': 'hours'"},
      {R"({"name": "x", "kind": "analytic", "unit": "cycles",
           "analytic": {"bits": [4, 8], "macs_per_cycle": [[1, 2], [3]]}})",
       "'analytic.macs_per_cycle[1]'"},
      {R"({"name": "x", "kind": "analytic", "unit": "cycles",
           "analytic": {"bits": [4, 8], "macs_per_cycle": [[1, 2], [3, -4]]}})",
       "'analytic.macs_per_cycle[1][1]': must be a positive number"},
      {R"({"name": "x", "kind": "lut", "unit": "seconds", "table": {"csv": "type\n"}})",
       "table.csv: line 1: missing column 'groups'"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ParsedProfile> p = ParseProfileJson(c.json);
    ASSERT_FALSE(p.ok()) << c.json;
    EXPECT_NE(p.status().message().find(c.expected), std::string::npos)
        << "expected '" << c.expected << "' in: " << p.status().message();
  }
}

TEST_F(ProfileRegistryTest, StoredJsonRoundTripsAndBrokenFilesAreListedWithTheirError) {
  const std::string text = R"({"name": "tiny", "kind": "analytic", "unit": "cycles",
    "analytic": {"bits": [8], "macs_per_cycle": [[2]], "per_layer_overhead": 10}})";
  ASSERT_TRUE(StoreProfileJson(text, profiles()).ok());
  absl::StatusOr<std::unique_ptr<LatencyModel>> m = LoadProfile("tiny", profiles());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_DOUBLE_EQ(*(*m)->Latency(LayerSignature::Linear(4, 4), 8, 8), 18.0);
  ASSERT_TRUE(WriteFileAtomically((dir_ / "profiles" / "zz.json").string(), "{oops").ok());
  absl::StatusOr<std::vector<ProfileListing>> all = ListProfiles(profiles());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->back().info.name, "zz");
  EXPECT_NE(all->back().error.find("not valid JSON"), std::string::npos);
  EXPECT_FALSE(LoadProfile("zz", profiles()).ok());
}

TEST_F(ProfileRegistryTest, DefaultDirFollowsBitsearchHome) {
  const char* old = std::getenv("BITSEARCH_HOME");
  const std::string saved = old ? old : "";
  ::setenv("BITSEARCH_HOME", "/srv/bs", 1);
  EXPECT_EQ(DefaultProfilesDir(), "/srv/bs/profiles");
  ::unsetenv("BITSEARCH_HOME");
  EXPECT_NE(DefaultProfilesDir().find(".bitsearch/profiles"), std::string::npos);
  if (old) ::setenv("BITSEARCH_HOME", saved.c_str(), 1);
}

}  // namespace
}  // namespace bitsearch
