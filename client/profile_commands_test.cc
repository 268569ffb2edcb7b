#include "client/profile_commands.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code = 0;
  std::string out;
  std::string err;
};

class ProfileCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("bitsearch-profile-cmd-", ::getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `bitsearch profiles --profiles-dir DIR <args>` the way main() does.
  Outcome Run(const std::string& args, ModelSignaturesFn hook = nullptr) {
    CLI::App app;
    app.require_subcommand(1);
    AddProfileCommands(app, std::move(hook));
    Outcome o;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    try {
      app.parse(absl::StrCat("profiles --profiles-dir ", (dir_ / "profiles").string(), " ", args),
                false);
    } catch (const CLI::RuntimeError& e) {
      o.code = e.get_exit_code();
    } catch (const CLI::ParseError& e) {
      o.code = e.get_exit_code() == 0 ? 2 : e.get_exit_code();
    }
    o.out = ::testing::internal::GetCapturedStdout();
    o.err = ::testing::internal::GetCapturedStderr();
    return o;
  }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  static std::string SignaturesJson() {
    return R"([{"type": "conv", "kernel_h": 5, "kernel_w": 5, "in_h": 28, "in_w": 28,
                "out_h": 24, "out_w": 24, "in_channels": 1, "out_channels": 32},
               {"type": "linear", "in_channels": 512, "out_channels": 10}])";
  }

  fs::path dir_;
};

int CountLines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST_F(ProfileCommandsTest, ListAndShowBuiltins) {
  Outcome o = Run("list");
  ASSERT_EQ(o.code, 0) << o.err;
  for (const char* n : {"pulp-xpulpv2", "pulp-xpulpnn", "bitserial", "npu-int8", "bops"}) {
    EXPECT_NE(o.out.find(n), std::string::npos) << n;
  }
  o = Run("list --json");
  ASSERT_EQ(o.code, 0);
  EXPECT_EQ(nlohmann::json::parse(o.out).size(), 5u);
  o = Run("show pulp-xpulpv2");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("MACs/cycle"), std::string::npos);
  EXPECT_NE(o.out.find("15.5"), std::string::npos);
  EXPECT_NE(o.out.find("assumption:"), std::string::npos);
  o = Run("show bitserial --json");
  ASSERT_EQ(o.code, 0);
  EXPECT_EQ(nlohmann::json::parse(o.out)["name"], "bitserial");
  o = Run("show nosuch");
  EXPECT_NE(o.code, 0);
  EXPECT_EQ(CountLines(o.err), 1);
  EXPECT_EQ(o.err.rfind("bitsearch: unknown profile 'nosuch'", 0), 0u) << o.err;
}

TEST_F(ProfileCommandsTest, ExportSpecFromSignaturesFileAndFromTheModelHook) {
  const std::string sigs = Write("sigs.json", SignaturesJson());
  Outcome o = Run("export-spec --model-signatures " + sigs);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(CountLines(o.out), 1 + 2 * 9);
  o = Run("export-spec --model-signatures " + sigs + " --bits 8");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(CountLines(o.out), 1 + 2);
  const std::string out = (dir_ / "spec.csv").string();
  o = Run("export-spec --model-signatures " + sigs + " --out " + out);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(fs::exists(out));

  int hook_calls = 0;
  ModelSignaturesFn hook = [&](const std::string& model)
      -> absl::StatusOr<std::vector<LayerSignature>> {
    ++hook_calls;
    if (model != "lenet5") return absl::NotFoundError("unknown model '" + model + "'");
    return std::vector<LayerSignature>{LayerSignature::Linear(84, 10)};
  };
  o = Run("export-spec --model lenet5 --bits 2,4,8", hook);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(hook_calls, 1);
  EXPECT_EQ(CountLines(o.out), 1 + 9);
  o = Run("export-spec --model vgg", hook);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.err.find("unknown model 'vgg'"), std::string::npos);
  o = Run("export-spec --model lenet5");
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.err.find("--model-signatures"), std::string::npos);
  o = Run("export-spec");
  EXPECT_NE(o.code, 0);
  const std::string bad = Write("bad.json", R"([{"type": "lstm"}])");
  o = Run("export-spec --model-signatures " + bad);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.err.find("signatures[0]"), std::string::npos) << o.err;
}

TEST_F(ProfileCommandsTest, ImportMeasuredTableThenShowIt) {
  const std::string sigs = Write("sigs.json", SignaturesJson());
  Outcome spec = Run("export-spec --model-signatures " + sigs + " --bits 4,8");
  ASSERT_EQ(spec.code, 0);
  std::string filled;
  int i = 0;
  for (absl::string_view line : absl::StrSplit(spec.out, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&filled, line, i == 0 ? "" : absl::StrCat(100 + i), "\n");
    ++i;
  }
  const std::string csv = Write("measured.csv", filled);
  Outcome o = Run("import " + csv + " --name board-a --unit cycles");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(fs::exists(dir_ / "profiles" / "board-a.json"));
  o = Run("show board-a");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("kind:        lut"), std::string::npos);
  EXPECT_NE(o.out.find("unit:        cycles"), std::string::npos);
  o = Run("list");
  EXPECT_NE(o.out.find("imported"), std::string::npos);

  const std::string broken = Write("broken.csv", filled + "linear,1,1,1,1,0,1,1,1,1,512,10,2,2,x\n");
  o = Run("import " + broken + " --name board-b");
  EXPECT_NE(o.code, 0);
  EXPECT_EQ(CountLines(o.err), 1);
  EXPECT_NE(o.err.find("line 10, column 15 (latency): 'x' is not a number"), std::string::npos)
      << o.err;
  o = Run("import " + csv + " --name ../escape");
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.err.find("bad profile name"), std::string::npos);
}

}  // namespace
}  // namespace bitsearch
