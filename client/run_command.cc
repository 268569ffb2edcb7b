#include "client/run_command.h"

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/cli_common.h"
#include "client/embedded_sweep.h"
#include "client/result_table.h"
#include "client/report_files.h"
#include "client/sweep_commands.h"
#include "client/terminal_observer.h"
#include "search/device.h"
#include "workers/job_runner.h"

namespace bitsearch {
namespace {

struct RunArgs {
  std::string spec_path;
  std::string out;          // result JSON; default results/<name>.json
  std::string checkpoint;   // default .bitsearch/<name>.ckpt
  int threads = 0;
  std::string device = "cpu";
  bool resume = false;
  std::string cache_dir;    // default $BITSEARCH_HOME/cache or ~/.bitsearch/cache
  bool no_cache = false;
  std::string export_dir;   // export the fine-tuned model here (model.onnx, quant.json, model.pt)
  std::vector<std::string> sets;  // --set FIELD=V1,V2: run a sweep
};

std::string DefaultCacheDir() {
  const char* home = std::getenv("BITSEARCH_HOME");
  if (home && *home) return absl::StrCat(home, "/cache");
  const char* user = std::getenv("HOME");
  return absl::StrCat(user && *user ? user : ".", "/.bitsearch/cache");
}

JobRunner* g_runner = nullptr;  // the one job a CLI process runs, for the signal handler

extern "C" void OnInterrupt(int) {
  static volatile std::sig_atomic_t count = 0;
  if (++count > 1) std::_Exit(130);  // a second Ctrl-C: stop now, the last checkpoint stays
  if (g_runner) g_runner->Cancel();
}

// A spec with a "sweep" block, or --set: its points one after another (client/embedded_sweep.h).
int RunSweepEmbedded(const RunArgs& args) {
  SweepPlan plan = LoadSweepPlanOrDie(args.spec_path, args.sets);
  if (!args.export_dir.empty()) {
    std::fprintf(stderr, "bitsearch: --export: a sweep has one model per point; choose a point from "
                 "the sweep's result and run its spec alone with --export\n");
    return kExitUsage;
  }
  EmbeddedSweepArgs sweep;
  sweep.spec_path = args.spec_path;
  sweep.out = args.out.empty() ? absl::StrCat("results/", plan.name, ".json") : args.out;
  sweep.checkpoint_dir = args.checkpoint.empty() ? absl::StrCat(".bitsearch/", plan.name) : args.checkpoint;
  sweep.resume = args.resume;
  sweep.options.device = args.device;
  sweep.options.threads =
      args.threads > 0 ? args.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (!args.no_cache) sweep.options.cache_dir = args.cache_dir.empty() ? DefaultCacheDir() : args.cache_dir;
  return RunEmbeddedSweep(plan, sweep);
}

int RunEmbedded(const RunArgs& args) {
  // A device this build or machine lacks is a usage error, found before the spec is read.
  if (absl::StatusOr<torch::Device> d = ParseDevice(args.device); !d.ok()) {
    std::fprintf(stderr, "bitsearch: --device: %s\n", std::string(d.status().message()).c_str());
    return kExitUsage;
  }
  if (!args.sets.empty() || HasSweepBlock(nlohmann::json::parse(ReadFileOrDie(args.spec_path, "spec"),
                                                                 nullptr, /*allow_exceptions=*/false))) {
    return RunSweepEmbedded(args);
  }
  auto spec = LoadJobSpecFile(args.spec_path);
  if (!spec.ok()) {
    std::fprintf(stderr, "bitsearch: %s\n", std::string(spec.status().message()).c_str());
    return kExitUsage;
  }
  std::string out = args.out.empty() ? absl::StrCat("results/", spec->name, ".json") : args.out;
  std::string ckpt = args.checkpoint.empty() ? absl::StrCat(".bitsearch/", spec->name, ".ckpt") : args.checkpoint;
  RunOptions options;
  options.threads = args.threads > 0 ? args.threads : static_cast<int>(std::thread::hardware_concurrency());
  options.device = args.device;
  options.resume = args.resume;
  options.export_dir = args.export_dir;
  if (!args.no_cache) options.cache_dir = args.cache_dir.empty() ? DefaultCacheDir() : args.cache_dir;
  FileCheckpointStore store(ckpt);
  if (args.resume) {
    auto existing = store.Load();
    if (existing.ok() && !existing->has_value()) {
      std::fprintf(stderr, "bitsearch: --resume: no checkpoint at %s; starting from the beginning\n", ckpt.c_str());
    }
  }
  std::fprintf(stderr, "bitsearch: job %s on %s, %d threads; checkpoint %s\n", spec->name.c_str(),
               options.device.c_str(), options.threads, ckpt.c_str());
  JobRunner runner(options);
  g_runner = &runner;
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  TerminalObserver observer;
  auto result = runner.Run(*spec, &observer, &store);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  g_runner = nullptr;
  if (!result.ok()) {
    if (result.status().code() == absl::StatusCode::kCancelled) {
      std::fprintf(stderr, "bitsearch: stopped (%s); checkpoint kept at %s\n"
                   "  continue with: bitsearch run %s --resume\n",
                   std::string(result.status().message()).c_str(), ckpt.c_str(), args.spec_path.c_str());
      return kExitInterrupted;
    }
    std::fprintf(stderr, "bitsearch: %s\n", std::string(result.status().message()).c_str());
    return kExitFailure;
  }
  ReportContext context;
  context.source = absl::StrCat("bitsearch run ", args.spec_path);
  if (!args.export_dir.empty()) {
    context.export_dir = args.export_dir;
    for (const char* name : {"model.onnx", "quant.json", "model.pt"}) {
      std::error_code ec;
      auto bytes = std::filesystem::file_size(std::filesystem::path(args.export_dir) / name, ec);
      if (!ec) context.export_files.push_back({name, static_cast<int64_t>(bytes)});
    }
  }
  absl::StatusOr<ResultFiles> files = WriteResultFiles(*result, out, context);
  if (!files.ok()) {
    std::fprintf(stderr, "bitsearch: %s\n", std::string(files.status().message()).c_str());
    return kExitFailure;
  }
  (void)store.Remove();
  absl::StatusOr<ResultView> view = ReadResultView(*result);
  if (view.ok()) std::cout << "\n" << FormatResultTable(*view);
  for (const auto& warning : result->value("warnings", nlohmann::json::array())) {
    if (warning.is_string()) std::cout << "WARNING: " << warning.get<std::string>() << "\n";
  }
  std::cout << "result written to " << files->json << "\nchart written to " << files->svg
            << "\nreport written to " << files->html << "\n";
  if (result->contains("export")) {
    const auto& e = (*result)["export"];
    std::cout << "exported to " << args.export_dir << " (model.onnx, quant.json, model.pt): "
              << e.value("onnx_agreement_percent", -1.0) << "% of "
              << e.value("checked_samples", int64_t{0}) << " test predictions match, "
              << e.value("payload_bytes", int64_t{0}) << " bytes of packed weights\n";
  }
  return 0;
}

}  // namespace

void AddRunCommands(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* run = app.add_subcommand("run", kRunCommandHelp);
  run->add_option("spec", args->spec_path, "Job spec (JSON)")->required()->check(CLI::ExistingFile);
  run->add_option("--out", args->out,
                  "Result JSON path (default results/<name>.json); the chart (.svg) and the HTML "
                  "report (.html) are written beside it (a sweep's points in the folder <name>/)");
  run->add_option("--set", args->sets,
                  "FIELD=V1,V2,...: run a sweep of this spec field over these values, one point "
                  "after another (repeatable; several fields give their product)");
  run->add_option("--threads", args->threads, "LibTorch threads (default: number of cores)")
      ->check(CLI::Range(1, 1024));
  run->add_option("--device", args->device,
                  "torch device to train on: cpu, cuda or cuda:N (needs a CUDA build of LibTorch; "
                  "default cpu)");
  run->add_flag("--resume", args->resume, "Continue from the job's last checkpoint");
  run->add_option("--export", args->export_dir,
                  "Export the fine-tuned model to DIR (model.onnx, quant.json, model.pt)");
  run->add_option("--checkpoint", args->checkpoint,
                  "Checkpoint file (default .bitsearch/<name>.ckpt); for a sweep, a folder of one "
                  "checkpoint per point (default .bitsearch/<name>/)");
  run->add_option("--cache-dir", args->cache_dir,
                  "Pretrained FP models are reused from here (default $BITSEARCH_HOME/cache or ~/.bitsearch/cache)");
  run->add_flag("--no-cache", args->no_cache, "Always pretrain; do not read or write the cache");
  run->callback([args]() { throw CLI::RuntimeError(RunEmbedded(*args)); });
}

}  // namespace bitsearch
