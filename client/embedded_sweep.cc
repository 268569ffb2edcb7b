#include "client/embedded_sweep.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli_common.h"
#include "client/report_files.h"
#include "client/result_table.h"
#include "client/terminal_observer.h"
#include "search/pretrain_key.h"
#include "search/report/sweep_result.h"
#include "workers/job_runner.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

JobRunner* g_sweep_runner = nullptr;  // the job running now, for the signal handler
volatile std::sig_atomic_t g_sweep_interrupted = 0;

extern "C" void OnSweepInterrupt(int) {
  if (++g_sweep_interrupted > 1) std::_Exit(kExitInterrupted);  // a second Ctrl-C: stop now
  if (g_sweep_runner) g_sweep_runner->Cancel();
}

// Runs one job with the interrupt handler pointed at it.
absl::StatusOr<json> RunInterruptibly(const JobSpec& spec, const RunOptions& options,
                                      CheckpointStore* store) {
  JobRunner runner(options);
  g_sweep_runner = &runner;
  TerminalObserver observer;
  auto result = runner.Run(spec, &observer, store);
  g_sweep_runner = nullptr;
  return result;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A point finished by an earlier run of this sweep: its result file, for the same spec.
std::optional<json> FinishedEarlier(const std::string& path, const JobSpec& spec) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  json result = json::parse(ReadWholeFile(path), nullptr, /*allow_exceptions=*/false);
  if (!result.is_object() || !result.contains("spec") || result["spec"] != JobSpecToJson(spec)) {
    return std::nullopt;
  }
  return result;
}

// The float model every point with this pretraining key starts from, trained once.
class SharedPretraining {
 public:
  SharedPretraining(const EmbeddedSweepArgs& args, std::string scratch_dir)
      : args_(args), scratch_dir_(std::move(scratch_dir)) {}

  // The entry for `spec`'s key ("" for a point that trains no float model: an imported ONNX
  // model brings its own weights), training it first if no point had it yet.
  absl::StatusOr<std::string> For(const JobSpec& spec) {
    if (!TrainsFloatModel(spec)) return std::string();
    const uint64_t key = PretrainKeyHash(JobSpecToJson(spec));
    auto known = entries_.find(key);
    if (known != entries_.end()) return known->second;
    const std::string dir = absl::StrFormat("%s/pretrain-%016x", scratch_dir_, key);
    std::error_code ec;
    fs::create_directories(dir, ec);
    RunOptions options = args_.options;
    options.pretrain_only = true;
    options.export_dir = dir;
    std::fprintf(stderr, "bitsearch: sweep: the float model shared by the points like %s\n",
                 spec.name.c_str());
    auto done = RunInterruptibly(spec, options, nullptr);
    if (!done.ok()) return done.status();
    std::string bytes = ReadWholeFile(absl::StrCat(dir, "/", kPretrainedModelFile));
    fs::remove_all(dir, ec);
    if (bytes.empty()) return absl::InternalError("the shared pretraining wrote no model");
    ++runs_;
    entries_[key] = bytes;
    return bytes;
  }
  int runs() const { return runs_; }

 private:
  const EmbeddedSweepArgs& args_;
  std::string scratch_dir_;
  std::map<uint64_t, std::string> entries_;
  int runs_ = 0;
};

std::string PointsDir(const std::string& out) {
  std::string base = out;
  if (absl::EndsWith(base, ".json")) base.resize(base.size() - 5);
  return base;
}

}  // namespace

int RunEmbeddedSweep(const SweepPlan& plan, const EmbeddedSweepArgs& args) {
  const std::string points_dir = PointsDir(args.out);
  std::error_code ec;
  fs::create_directories(points_dir, ec);
  fs::create_directories(args.checkpoint_dir, ec);
  if (ec) {
    std::fprintf(stderr, "bitsearch: %s: %s\n", args.checkpoint_dir.c_str(), ec.message().c_str());
    return kExitFailure;
  }
  std::fprintf(stderr, "bitsearch: sweep %s: %zu points, one after another on %d threads; "
               "each point's result goes to %s/\n", plan.name.c_str(), plan.points.size(),
               args.options.threads, points_dir.c_str());

  SweepRecord record;
  record.name = plan.name;
  record.axes = json::object();
  for (const SweepAxis& axis : plan.axes) record.axes[axis.field] = axis.values;
  SweepReportContext context;
  context.source = absl::StrCat("bitsearch run ", args.spec_path);
  SharedPretraining pretraining(args, points_dir);

  std::signal(SIGINT, OnSweepInterrupt);
  std::signal(SIGTERM, OnSweepInterrupt);
  bool interrupted = false;
  for (size_t i = 0; i < plan.points.size(); ++i) {
    const SweepPoint& point = plan.points[i];
    SweepPointRecord rec;
    rec.name = point.spec.name;
    rec.settings = point.settings;
    const std::string result_path = absl::StrCat(points_dir, "/", rec.name, ".json");
    context.point_links[rec.name] = absl::StrCat(fs::path(points_dir).filename().string(), "/",
                                                 rec.name, ".html");
    if (interrupted) {
      rec.state = "CANCELLED";
      record.points.push_back(std::move(rec));
      continue;
    }
    if (args.resume) {
      if (auto earlier = FinishedEarlier(result_path, point.spec)) {
        std::fprintf(stderr, "bitsearch: sweep point %zu/%zu %s: finished earlier (%s)\n", i + 1,
                     plan.points.size(), rec.name.c_str(), result_path.c_str());
        rec.state = "SUCCEEDED";
        rec.result = std::move(*earlier);
        record.points.push_back(std::move(rec));
        continue;
      }
    }
    std::fprintf(stderr, "bitsearch: sweep point %zu/%zu %s %s\n", i + 1, plan.points.size(),
                 rec.name.c_str(), point.settings.dump().c_str());
    RunOptions options = args.options;
    options.export_dir.clear();
    absl::StatusOr<json> result;
    auto shared = pretraining.For(point.spec);
    if (!shared.ok()) {
      result = absl::Status(shared.status().code(),
                            absl::StrCat("the shared pretraining failed: ", shared.status().message()));
    } else {
      options.pretrained_model = *shared;
      FileCheckpointStore store(absl::StrCat(args.checkpoint_dir, "/", rec.name, ".ckpt"));
      result = RunInterruptibly(point.spec, options, &store);
      if (result.ok()) (void)store.Remove();
    }
    if (result.ok()) {
      ReportContext point_context;
      point_context.source = absl::StrCat("bitsearch run ", args.spec_path, " (sweep point ", rec.name, ")");
      auto files = WriteResultFiles(*result, result_path, point_context);
      if (!files.ok()) {
        std::fprintf(stderr, "bitsearch: %s\n", std::string(files.status().message()).c_str());
      }
      rec.state = "SUCCEEDED";
      rec.result = std::move(*result);
    } else if (result.status().code() == absl::StatusCode::kCancelled || g_sweep_interrupted) {
      rec.state = "CANCELLED";
      rec.error = std::string(result.status().message());
      interrupted = true;
    } else {
      rec.state = "FAILED";
      rec.error = std::string(result.status().message());
      std::fprintf(stderr, "bitsearch: sweep point %s failed: %s\n", rec.name.c_str(), rec.error.c_str());
    }
    record.points.push_back(std::move(rec));
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  std::vector<std::string> states;
  for (const SweepPointRecord& p : record.points) states.push_back(p.state);
  record.state = SweepStateOf(states, interrupted);
  record.pretrain_runs = pretraining.runs();
  const json sweep_result = BuildSweepResult(record);
  auto files = WriteSweepFiles(sweep_result, args.out, context);
  if (!files.ok()) {
    std::fprintf(stderr, "bitsearch: %s\n", std::string(files.status().message()).c_str());
    return kExitFailure;
  }
  absl::StatusOr<SweepView> view = ReadSweepView(sweep_result);
  if (view.ok()) std::cout << "\n" << FormatSweepTable(*view);
  std::cout << "sweep result written to " << files->json << "\nchart written to " << files->svg
            << "\nreport written to " << files->html << "\n";
  if (interrupted) {
    std::fprintf(stderr, "bitsearch: sweep stopped; finished points are kept in %s/ and the running "
                 "one's checkpoint in %s/\n  continue with: bitsearch run %s --resume\n",
                 points_dir.c_str(), args.checkpoint_dir.c_str(), args.spec_path.c_str());
    return kExitInterrupted;
  }
  return record.state == "SUCCEEDED" ? 0 : kExitFailure;
}

}  // namespace bitsearch
