// Step time of a Bayesian Bits search step (quantizers with sampled gates, prior, three Adam
// groups) over a plain float training step of the same model, measured in one run with the two
// interleaved so machine noise hits both alike. Ends with `bb_over_fp: RATIO`.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <sys/resource.h>

#include <ctime>
#include <functional>
#include <cstdio>
#include <vector>

#include "base/blas_core.h"
#include "bench/bench_timing.h"
#include "search/bb_kernel.h"
#include "search/host_compute.h"
#include "search/network.h"
#include "search/prior.h"
#include "search/zoo.h"

namespace {

using Clock = std::chrono::steady_clock;

using bitsearch::bench::CpuMs;
using bitsearch::bench::Median;

// Page faults the process has taken so far (minor: a page of fresh memory touched the first time).
long PageFaults() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt + u.ru_majflt;
}

}  // namespace

int main(int argc, char** argv) {
  bitsearch::RestartWithBetterBlasCore(argv);  // as bitsearch does (base/blas_core.h)
  std::string model = "lenet5";
  int batch = 128, steps = 20, threads = 2;
  double width = 1.0;
  std::string trace;  // "" = no trace
  bool no_keep = false;
  bool channels_last = false;
  std::string isa;  // "" = the widest the machine runs, as a job uses
  CLI::App app{"Bayesian Bits step time over a float step"};
  app.add_option("--model", model, "Zoo model")->check(CLI::IsMember({"lenet5", "vgg7", "resnet8", "mobilenetv2"}));
  app.add_option("--batch", batch, "Batch size")->check(CLI::PositiveNumber);
  app.add_option("--steps", steps, "Timed steps of each kind")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "LibTorch threads")->check(CLI::PositiveNumber);
  app.add_option("--width", width, "Width multiplier");
  app.add_option("--trace", trace,
                 "Write a Chrome trace (LibTorch's profiler) of 5 float and 5 search steps to FILE "
                 "(bench/trace_summary.py sums it per op)");
  app.add_flag("--default-malloc", no_keep,
               "Leave glibc malloc's defaults (per-block mappings, trimming) instead of keeping "
               "freed memory as a job does: the before of base/host_memory.h");
  app.add_flag("--channels-last", channels_last,
               "An experiment (jobs run NCHW): an NHWC input batch for both steps and NHWC "
               "convolution weights for the float step, as bench/pytorch_step.py "
               "--channels-last does");
  app.add_option("--kernel-isa", isa,
                 "Instruction set of the Bayesian Bits kernel's loops (generic, avx2); "
                 "default: the widest this machine runs, as a job uses");
  CLI11_PARSE(app, argc, argv);
  if (!isa.empty() && !bitsearch::UseBBKernelInstructionSet(isa)) {
    std::fprintf(stderr, "step_bench: --kernel-isa %s: not available here (this machine runs:",
                 isa.c_str());
    for (const auto& s : bitsearch::BBKernelInstructionSets()) std::fprintf(stderr, " %s", s.c_str());
    std::fprintf(stderr, ")\n");
    return 2;
  }
  bitsearch::ConfigureHostCompute(threads, !no_keep);  // as a job does
  torch::manual_seed(1);

  std::vector<int64_t> shape = model == "lenet5" ? std::vector<int64_t>{1, 28, 28} : std::vector<int64_t>{3, 32, 32};
  auto graph = bitsearch::BuildZooModel(model, shape, 10, width);
  if (!graph.ok()) {
    std::fprintf(stderr, "step_bench: %s\n", std::string(graph.status().message()).c_str());
    return 1;
  }
  bitsearch::Graph folded = bitsearch::FoldedStructure(*graph);
  auto x = torch::randn({batch, shape[0], shape[1], shape[2]});
  if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  auto y = torch::randint(0, 10, {batch});

  // Float: the folded model, quantizers bypassed, one Adam group.
  bitsearch::Network fp(folded, bitsearch::NetworkOptions{});
  fp->SetQuantMode(bitsearch::BBQuantizerImpl::Mode::kBypass);
  if (channels_last) {  // NHWC convolution weights too, as PyTorch's model.to(channels_last)
    torch::NoGradGuard no_grad;
    for (auto& p : fp->WeightParameters()) {
      if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
  torch::optim::Adam fp_opt(fp->WeightParameters(), 1e-3);
  auto fp_step = [&]() {
    fp_opt.zero_grad();
    torch::cross_entropy_loss(fp->forward(x), y).backward();
    fp_opt.step();
  };

  // Bayesian Bits: same model, gates sampled every step, BOP prior, three groups.
  bitsearch::Network bb(folded, bitsearch::NetworkOptions{});
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  bb->SetGenerator(gen);
  bb->InitRanges(x);
  bb->SetQuantMode(bitsearch::BBQuantizerImpl::Mode::kSearch);
  bb->train();
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(bb->WeightParameters(), std::make_unique<torch::optim::AdamOptions>(1e-3));
  groups.emplace_back(bb->QuantizerParameters(), std::make_unique<torch::optim::AdamOptions>(1e-2));
  groups.emplace_back(bb->RangeParameters(), std::make_unique<torch::optim::AdamOptions>(1e-3));
  torch::optim::Adam bb_opt(groups, torch::optim::AdamOptions(1e-3));
  bitsearch::BopsPrior prior(*bb);
  auto bb_step = [&]() {
    bb_opt.zero_grad();
    (torch::cross_entropy_loss(bb->forward(x), y) + 0.1 * prior.Compute(*bb)).backward();
    bb_opt.step();
    bb->AfterOptimizerStep();
  };

  for (int i = 0; i < 3; ++i) {  // warm-up
    fp_step();
    bb_step();
  }
  if (!trace.empty()) {
    torch::autograd::profiler::RecordProfile guard(trace);
    for (int i = 0; i < 5; ++i) {
      RECORD_FUNCTION("float_step", std::vector<c10::IValue>());
      fp_step();
    }
    for (int i = 0; i < 5; ++i) {
      RECORD_FUNCTION("search_step", std::vector<c10::IValue>());
      bb_step();
    }
  }
  // Wall and process-CPU milliseconds and page faults of one step.
  auto timed = [](const std::function<void()>& step, std::vector<double>* wall,
                  std::vector<double>* cpu, std::vector<double>* faults) {
    auto t0 = Clock::now();
    const double c0 = CpuMs();
    const long f0 = PageFaults();
    step();
    faults->push_back(static_cast<double>(PageFaults() - f0));
    cpu->push_back(CpuMs() - c0);
    wall->push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  };
  std::vector<double> fp_ms, bb_ms, fp_cpu, bb_cpu, fp_faults, bb_faults;
  for (int i = 0; i < steps; ++i) {
    timed(fp_step, &fp_ms, &fp_cpu, &fp_faults);
    timed(bb_step, &bb_ms, &bb_cpu, &bb_faults);
  }
  double f = Median(fp_ms), b = Median(bb_ms);
  std::printf("model: %s  batch: %d  threads: %d  steps: %d  kernel: %s  blas: %s\n",
              model.c_str(), batch, threads, steps, bitsearch::BBKernelInstructionSet().c_str(),
              bitsearch::BlasCoreName().c_str());
  std::printf("fp_step_ms: %.2f\nbb_step_ms: %.2f\nbb_over_fp: %.3f\n", f, b, b / f);
  std::printf("fp_step_cpu_ms: %.2f\nbb_step_cpu_ms: %.2f\n", Median(fp_cpu), Median(bb_cpu));
  std::printf("fp_step_page_faults: %.0f\nbb_step_page_faults: %.0f\n", Median(fp_faults),
              Median(bb_faults));
  int64_t parameters = 0;  // the float model's trained weights and biases, to match PyTorch's
  for (const auto& p : fp->WeightParameters()) parameters += p.numel();
  std::printf("fp_parameters: %lld\n", static_cast<long long>(parameters));
  return 0;
}
