#include "search/onnx/ort_judge.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "search/data/npy.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

std::string Quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

absl::StatusOr<OrtVerdict> JudgeWithOnnxRuntime(const std::string& model_path, const torch::Tensor& x,
                                                const torch::Tensor& labels, const torch::Tensor& reference) {
  static int calls = 0;
  const fs::path dir = fs::temp_directory_path() / absl::StrCat("bitsearch_ort_", ::getpid(), "_", calls++);
  fs::create_directories(dir);
  std::string args = absl::StrCat("--model ", Quote(model_path));
  auto add = [&](const char* flag, const char* file, const torch::Tensor& t) -> absl::Status {
    if (!t.defined()) return absl::OkStatus();
    const std::string path = (dir / file).string();
    torch::Tensor c = t.scalar_type() == torch::kByte || t.scalar_type() == torch::kLong ? t : t.to(torch::kFloat);
    absl::Status st = WriteNpyFile(path, c.contiguous());
    absl::StrAppend(&args, " ", flag, " ", Quote(path));
    return st;
  };
  absl::Status st = add("--x", "x.npy", x);
  if (st.ok()) st = add("--y", "y.npy", labels.defined() ? labels.to(torch::kLong) : labels);
  if (st.ok()) st = add("--reference", "reference.npy", reference);
  if (!st.ok()) return st;
  // The cache CMake configured, unless the caller's environment names another.
  const char* cache = std::getenv("BITSEARCH_ORT_CACHE");
  const std::string command = absl::StrCat("BITSEARCH_ORT_CACHE=", Quote(cache && *cache ? cache : BITSEARCH_ORT_CACHE),
                                           " bash ", Quote(BITSEARCH_ORT_EVAL), " ", args, " 2>", Quote((dir / "stderr").string()));
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return absl::InternalError("cannot start " BITSEARCH_ORT_EVAL);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int rc = ::pclose(pipe);
  std::stringstream err;
  err << std::ifstream(dir / "stderr").rdbuf();
  fs::remove_all(dir);
  if (rc != 0) {
    return absl::FailedPreconditionError(absl::StrCat("ONNX Runtime judge failed (exit ", WEXITSTATUS(rc), "): ", err.str()));
  }
  try {
    nlohmann::json j = nlohmann::json::parse(out);
    OrtVerdict v;
    v.runtime = j.at("runtime").get<std::string>();
    v.samples = j.at("samples").get<int64_t>();
    v.top1_percent = j.value("top1_percent", -1.0);
    v.agreement_percent = j.value("agreement_percent", -1.0);
    v.max_abs_logit_diff = j.value("max_abs_logit_diff", -1.0);
    return v;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("ONNX Runtime judge printed no verdict: ", out, " ", err.str()));
  }
}

}  // namespace bitsearch
