// Post-training quantization of a zoo model trained on its data set by the pipeline's own
// pretraining (kept in --cache-dir, so later runs reuse the float model). Two measurements:
//   --mode rescaled  the float model with every equalizable pair of layers' channels rescaled by
//                    factors drawn log-uniformly from [1e-2, 1e2] (the function unchanged),
//                    quantized per tensor with and without cross-layer equalization, next to the
//                    same quantization of the model as trained
//   --mode adaround  AdaRound's time per layer against its iteration count and against the
//                    memory its cached layer inputs may take
// Prints markdown tables (docs/RESULTS.md quotes them).
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "search/job_checkpoint.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pretrain_cache.h"
#include "search/ptq/post_training.h"
#include "search/trainer.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

struct FloatModel {
  Dataset data;
  Graph folded;
  NetworkOptions options;
  std::string fp_state;
  double accuracy = 0;
};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "ptq_bench: %s\n", what.c_str());
  std::exit(1);
}

// Trains the float model through the pipeline (or finds it in the cache) and loads its data.
FloatModel LoadFloatModel(const JobSpec& spec, const std::string& cache_dir, int threads) {
  RunOptions run;
  run.threads = threads;
  run.cache_dir = cache_dir;
  run.pretrain_only = true;
  auto pretrained = RunJob(spec, run, nullptr, nullptr);
  if (!pretrained.ok()) Fail(pretrained.status().ToString());
  auto entry = LoadCachedPretrain(PretrainCachePath(cache_dir, JobSpecToJson(spec)));
  if (!entry) Fail("the pretraining left no cache entry under " + cache_dir);
  LoadOptions load;
  load.cache_dir = cache_dir + "/data";
  load.threads = threads;
  auto data = LoadDataset(spec.dataset, spec.search.seed, load);
  if (!data.ok()) Fail(data.status().ToString());
  auto graph = BuildZooModel(spec.model.zoo, data->input_shape, data->classes, spec.model.width);
  if (!graph.ok()) Fail(graph.status().ToString());
  FloatModel m;
  m.data = std::move(*data);
  m.folded = FoldedStructure(*graph);
  // The options the pipeline built the float network with, so its state loads as saved.
  m.options.max_bits = spec.search.max_bits;
  m.options.prune = spec.search.prune;
  m.options.gate_init = spec.search.gate_init;
  m.fp_state = entry->fp_state;
  m.accuracy = entry->accuracy_fp32;
  return m;
}

Network FloatNetwork(const FloatModel& m) {
  Network net(m.folded, m.options);
  LoadModule(*net, m.fp_state);
  return PtqNetworkOf(*net);
}

double Accuracy(NetworkImpl& net, const Split& test) { return Evaluate(net, test).accuracy; }

// Per-tensor PTQ of the model as trained and rescaled, each with and without CLE.
void RescaledTable(const FloatModel& m, const torch::Tensor& calibration, int wb, int ab) {
  Network trained = FloatNetwork(m);
  Network rescaled = FloatNetwork(m);
  RescaleChannelsRandomly(*rescaled, 1e-2, 1e2, /*seed=*/7);
  torch::NoGradGuard no_grad;
  const torch::Tensor probe = m.data.test.x.slice(0, 0, 256);
  const torch::Tensor ref = trained->forward(probe);
  const double change = ((rescaled->forward(probe) - ref).norm() / ref.norm()).item<double>();
  std::printf("float top-1 %.2f%% as trained, %.2f%% rescaled (relative output change %.1e)\n\n",
              Accuracy(*trained, m.data.test), Accuracy(*rescaled, m.data.test), change);
  std::printf("| model | ranges | CLE | W%dA%d top-1 | seconds |\n|---|---|---|---|---|\n", wb, ab);
  const BitConfig bits = UniformBits(m.folded.LayerNames(), wb, ab);
  for (auto [label, net] : {std::pair<const char*, Network>{"as trained", trained}, {"rescaled", rescaled}}) {
    for (RangeMethod range : {RangeMethod::kMinMax, RangeMethod::kMse}) {
      for (bool cle : {false, true}) {
        PtqOptions o;
        o.weight_range = o.act_range = range;
        o.cle.enabled = cle;
        auto out = QuantizePostTraining(*net, calibration, bits, o);
        if (!out.ok()) Fail(out.status().ToString());
        std::printf("| %s | %s | %s | %.2f%% | %.2f |\n", label,
                    range == RangeMethod::kMinMax ? "min-max" : "MSE", cle ? "yes" : "no",
                    Accuracy(*out->network, m.data.test), out->report.seconds);
        std::fflush(stdout);
      }
    }
  }
}

// AdaRound per layer: seconds against iterations (cache unlimited) and against the cache budget.
void AdaRoundTable(const FloatModel& m, const torch::Tensor& calibration, int wb, int ab,
                   const std::vector<int>& iterations, const std::vector<int>& cache_mb,
                   int default_iterations) {
  Network fp = FloatNetwork(m);
  const BitConfig bits = UniformBits(m.folded.LayerNames(), wb, ab);
  std::printf("| iterations | cache MiB | layer | cached samples | seconds | ms / iteration | "
              "error nearest | error AdaRound | kept | W%dA%d top-1 |\n"
              "|---|---|---|---|---|---|---|---|---|---|\n",
              wb, ab);
  auto run = [&](int its, int mb) {
    PtqOptions o;
    o.adaround.enabled = true;
    o.adaround.iterations = its;
    o.adaround.cache_bytes = int64_t{mb} << 20;
    auto out = QuantizePostTraining(*fp, calibration, bits, o);
    if (!out.ok()) Fail(out.status().ToString());
    const double top1 = Accuracy(*out->network, m.data.test);
    for (const LayerRoundingReport& l : out->report.rounding) {
      std::printf("| %d | %d | %s | %lld | %.2f | %.2f | %.4g | %.4g | %s | %.2f%% |\n", its, mb,
                  l.layer.c_str(), static_cast<long long>(l.samples), l.seconds,
                  1e3 * l.seconds / its, l.error_nearest, l.error_adaround,
                  l.kept_nearest ? "nearest" : "learned", top1);
    }
    std::fflush(stdout);
  };
  for (int its : iterations) run(its, 256);
  for (int mb : cache_mb) run(default_iterations, mb);
}

std::vector<int> IntList(const std::string& text) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    out.push_back(std::stoi(std::string(part)));
  }
  return out;
}

}  // namespace
}  // namespace bitsearch

int main(int argc, char** argv) {
  using namespace bitsearch;
  std::string mode = "rescaled", model = "lenet5", iterations = "250,500,1000,2000";
  std::string cache_mb = "1,4,16,64";
  const char* home = std::getenv("HOME");
  std::string cache_dir = absl::StrCat(home ? home : ".", "/.bitsearch/cache");
  int threads = 2, epochs = 3, weight_bits = 8, act_bits = 8, calibration = 1024;
  int cache_iterations = 1000;
  CLI::App app{"Post-training quantization measurements on a pretrained zoo model"};
  app.add_option("--mode", mode, "rescaled | adaround")->check(CLI::IsMember({"rescaled", "adaround"}));
  app.add_option("--model", model, "Zoo model (its default data set)");
  app.add_option("--epochs", epochs, "Float pretraining epochs")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "LibTorch threads")->check(CLI::PositiveNumber);
  app.add_option("--cache-dir", cache_dir, "Where the pretrained float model and data are cached");
  app.add_option("--weight-bits", weight_bits, "Weight bits")->check(CLI::IsMember({2, 4, 8, 16}));
  app.add_option("--act-bits", act_bits, "Activation bits")->check(CLI::IsMember({2, 4, 8, 16}));
  app.add_option("--calibration", calibration, "Calibration samples")->check(CLI::PositiveNumber);
  app.add_option("--iterations", iterations, "adaround: iteration counts, comma-separated");
  app.add_option("--cache-mb", cache_mb, "adaround: cached-input budgets in MiB, comma-separated");
  app.add_option("--cache-iterations", cache_iterations, "adaround: iterations of the cache runs");
  CLI11_PARSE(app, argc, argv);
  torch::set_num_threads(threads);

  auto spec = ParseJobSpec({{"name", "ptq-bench"}, {"model", model},
                            {"pretrain", {{"epochs", epochs}}}});
  if (!spec.ok()) Fail(spec.status().ToString());
  FloatModel m = LoadFloatModel(*spec, cache_dir, threads);
  std::printf("%s on %s, float top-1 %.2f%% (pretrain %d epochs), %d threads\n\n", model.c_str(),
              m.data.name.c_str(), m.accuracy, epochs, threads);
  const torch::Tensor cal = m.data.train.x.slice(0, 0, calibration);
  if (mode == "rescaled") {
    RescaledTable(m, cal, weight_bits, act_bits);
  } else {
    AdaRoundTable(m, cal, weight_bits, act_bits, IntList(iterations), IntList(cache_mb),
                  cache_iterations);
  }
  return 0;
}
