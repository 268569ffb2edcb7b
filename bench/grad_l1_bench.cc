// Step time of gradient-L1 pretraining (double backprop, grad_l1.h) over a plain float step of
// the same model, the two interleaved in one run so machine noise hits both alike; medians.
// Ends with `grad_l1_over_fp: RATIO`.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "base/blas_core.h"
#include "bench/bench_timing.h"
#include "search/grad_l1.h"
#include "search/host_compute.h"
#include "search/network.h"
#include "search/zoo.h"

namespace {

using Clock = std::chrono::steady_clock;

using bitsearch::bench::CpuMs;
using bitsearch::bench::Median;

}  // namespace

int main(int argc, char** argv) {
  bitsearch::RestartWithBetterBlasCore(argv);  // as bitsearch does (base/blas_core.h)
  std::string model = "lenet5";
  int batch = 128, steps = 20, threads = 2;
  double lambda_w = 1e-4, lambda_a = 0.01;
  CLI::App app{"Gradient-L1 training step time over a float step"};
  app.add_option("--model", model, "Zoo model")->check(CLI::IsMember({"lenet5", "vgg7", "resnet8", "mobilenetv2"}));
  app.add_option("--batch", batch, "Batch size")->check(CLI::PositiveNumber);
  app.add_option("--steps", steps, "Timed steps of each kind")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "LibTorch threads")->check(CLI::PositiveNumber);
  app.add_option("--lambda-w", lambda_w, "Weight term strength (0 = off)");
  app.add_option("--lambda-a", lambda_a, "Activation term strength (0 = off)");
  CLI11_PARSE(app, argc, argv);
  bitsearch::ConfigureHostCompute(threads);  // as a job does
  torch::manual_seed(1);

  std::vector<int64_t> shape = model == "lenet5" ? std::vector<int64_t>{1, 28, 28} : std::vector<int64_t>{3, 32, 32};
  auto graph = bitsearch::BuildZooModel(model, shape, 10, 1.0);
  if (!graph.ok()) {
    std::fprintf(stderr, "grad_l1_bench: %s\n", std::string(graph.status().message()).c_str());
    return 1;
  }
  auto x = torch::randn({batch, shape[0], shape[1], shape[2]});
  auto y = torch::randint(0, 10, {batch});

  // Both as pretraining runs them: BatchNorms unfolded, quantizers bypassed, one Adam group.
  auto make = [&]() {
    bitsearch::Network net(*graph, bitsearch::NetworkOptions{});
    net->SetQuantMode(bitsearch::QuantMode::kBypass);
    net->train();
    return net;
  };
  bitsearch::Network fp = make(), gl = make();
  torch::optim::Adam fp_opt(fp->WeightParameters(), 1e-3), gl_opt(gl->WeightParameters(), 1e-3);
  auto fp_step = [&]() {
    fp_opt.zero_grad();
    torch::cross_entropy_loss(fp->forward(x), y).backward();
    fp_opt.step();
  };
  auto gl_step = [&]() {
    gl_opt.zero_grad();
    bitsearch::ComputeGradL1Loss(*gl, x, y, {lambda_w, lambda_a}).total.backward();
    gl_opt.step();
  };

  for (int i = 0; i < 3; ++i) {  // warm-up
    fp_step();
    gl_step();
  }
  std::vector<double> fp_ms, gl_ms;
  for (int i = 0; i < steps; ++i) {
    auto t0 = Clock::now();
    fp_step();
    auto t1 = Clock::now();
    gl_step();
    auto t2 = Clock::now();
    fp_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    gl_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  const double f = Median(fp_ms), g = Median(gl_ms);
  std::printf("model: %s  batch: %d  threads: %d  steps: %d  lambda_w: %g  lambda_a: %g\n",
              model.c_str(), batch, threads, steps, lambda_w, lambda_a);
  std::printf("fp_step_ms: %.2f\ngrad_l1_step_ms: %.2f\ngrad_l1_over_fp: %.3f\n", f, g, g / f);
  return 0;
}
