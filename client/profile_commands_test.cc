#include "client/profile_commands.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

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
  Outcome Run(const std::string& args, ModelSignaturesFn hook = nullptr,
              ProfileServerFn server = nullptr) {
    CLI::App app;
    app.require_subcommand(1);
    AddProfileCommands(app, std::move(hook), std::move(server));
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

// A server's profile store in memory: what the gRPC ProfileServer reads and writes.
class FakeProfileServer : public ProfileServer {
 public:
  std::string Describe() const override { return "server fake:1"; }
  absl::StatusOr<std::vector<std::string>> ListNames() override {
    std::vector<std::string> names;
    for (const auto& [name, json] : stored) names.push_back(name);
    return names;
  }
  absl::StatusOr<std::string> GetProfileJson(const std::string& name) override {
    auto it = stored.find(name);
    if (it == stored.end()) return absl::NotFoundError("unknown profile '" + name + "'");
    return it->second;
  }
  absl::Status PutProfileJson(const std::string& name, const std::string& json) override {
    stored[name] = json;
    return absl::OkStatus();
  }
  std::map<std::string, std::string> stored;
};

class RemoteProfileCommandsTest : public ProfileCommandsTest {
 protected:
  ProfileServerFn Connect() {
    return [this](const ProfileServerFlags& flags)
               -> absl::StatusOr<std::unique_ptr<ProfileServer>> {
      seen_server = flags.server;
      ++connects;
      auto proxy = std::make_unique<Proxy>();
      proxy->target = &fake;
      return std::unique_ptr<ProfileServer>(std::move(proxy));
    };
  }
  // Forwards to `fake`, which outlives every command.
  struct Proxy : ProfileServer {
    std::string Describe() const override { return target->Describe(); }
    absl::StatusOr<std::vector<std::string>> ListNames() override { return target->ListNames(); }
    absl::StatusOr<std::string> GetProfileJson(const std::string& n) override {
      return target->GetProfileJson(n);
    }
    absl::Status PutProfileJson(const std::string& n, const std::string& j) override {
      return target->PutProfileJson(n, j);
    }
    FakeProfileServer* target = nullptr;
  };

  FakeProfileServer fake;
  std::string seen_server;
  int connects = 0;
};

TEST_F(RemoteProfileCommandsTest, ListShowImportGoToTheServerWhenOneIsGiven) {
  ::unsetenv("BITSEARCH_SERVER");  // only --server configures a server here
  const std::string csv = Write(
      "m.csv",
      "type,groups,kernel_h,kernel_w,stride,padding,in_h,in_w,out_h,out_w,in_channels,"
      "out_channels,act_bits,weight_bits,latency\n"
      "conv,1,5,5,1,0,28,28,24,24,1,32,8,8,120\n");
  Outcome o = Run("import " + csv + " --name board-r --unit cycles --server h:1", nullptr,
                  Connect());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(seen_server, "h:1");
  EXPECT_NE(o.out.find("into server fake:1"), std::string::npos) << o.out;
  ASSERT_EQ(fake.stored.count("board-r"), 1u);
  EXPECT_FALSE(fs::exists(dir_ / "profiles" / "board-r.json")) << "imported locally too";
  EXPECT_EQ(nlohmann::json::parse(fake.stored["board-r"])["unit"], "cycles");

  o = Run("list --server h:1", nullptr, Connect());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("board-r"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("server"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("pulp-xpulpv2"), std::string::npos) << "built-ins are listed too";
  o = Run("list --json --server h:1", nullptr, Connect());
  ASSERT_EQ(o.code, 0) << o.err;
  bool found = false;
  for (const auto& j : nlohmann::json::parse(o.out)) {
    if (j["name"] == "board-r") found = j["server"] == "server fake:1" && j["kind"] == "lut";
  }
  EXPECT_TRUE(found) << o.out;

  o = Run("show board-r --server h:1", nullptr, Connect());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("kind:        lut"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("file:        server fake:1"), std::string::npos) << o.out;
  o = Run("show board-r --json --server h:1", nullptr, Connect());
  EXPECT_EQ(nlohmann::json::parse(o.out)["name"], "board-r");
  o = Run("show pulp-xpulpv2 --server h:1", nullptr, Connect());
  EXPECT_EQ(o.code, 0) << o.err;
  o = Run("show nosuch --server h:1", nullptr, Connect());
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.err.find("unknown profile 'nosuch'"), std::string::npos) << o.err;

  // A malformed table is refused before anything is sent, naming file, line and column.
  const std::string bad = Write("bad.csv", "type,latency\nconv,1\n");
  o = Run("import " + bad + " --name board-x --server h:1", nullptr, Connect());
  EXPECT_NE(o.code, 0);
  EXPECT_EQ(CountLines(o.err), 1) << o.err;
  EXPECT_NE(o.err.find("bad.csv: line 1"), std::string::npos) << o.err;
  EXPECT_EQ(fake.stored.count("board-x"), 0u);
  o = Run("import " + csv + " --name bops --server h:1", nullptr, Connect());
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.err.find("built-in"), std::string::npos) << o.err;

  // Without a server (and with --local) the commands stay on the folder.
  int before = connects;
  o = Run("list", nullptr, Connect());
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.out.find("board-r"), std::string::npos) << o.out;
  o = Run("list --local --server h:1", nullptr, Connect());
  EXPECT_EQ(o.out.find("board-r"), std::string::npos) << o.out;
  EXPECT_EQ(connects, before);
  // A server given to a build that cannot reach one is an error, not a silent local answer.
  o = Run("list --server h:1");
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.err.find("--local"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace bitsearch
