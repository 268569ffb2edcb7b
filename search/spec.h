// Job spec (version 1): the typed form of the JSON a user submits, its parser and validator.
//
// This file is deliberately free of LibTorch so the server can validate a spec before storing it.
// Every field has a default except `model`; unknown or ill-typed fields are errors that name the
// field by its dotted path ("search.mu"). Thread-safety: plain values, no shared state.
#ifndef BITSEARCH_SEARCH_SPEC_H_
#define BITSEARCH_SEARCH_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "search/baseline_spec.h"
#include "search/dataset_spec.h"

namespace bitsearch {

// The data sets that need no path. (Zoo models, search methods, priors, refine methods and
// baselines are named in search/catalog.h.)
const std::vector<std::string>& CatalogDatasetNames();

struct ModelSpec {
  std::string zoo;          // zoo model name; empty when `onnx` is set
  std::string onnx;         // path of an ONNX file; empty when `zoo` is set
  double width = 1.0;       // channel width multiplier (vgg7, mobilenetv2, resnet8)
};

struct HardwareSpec {
  std::string profile = "bops";  // built-in or imported latency profile name
};

struct PretrainSpec {
  int epochs = 3;          // plain FP training epochs when no weights are given
  double lr = 1e-3;        // Adam learning rate
  int batch_size = 128;
  // Gradient-L1 ("quantization-ready") training: loss = CE + lambda_w sum ||dCE/dW||_1 +
  // lambda_a sum ||dCE/dy||_1 from epoch start_epoch on (search/grad_l1.h). On an imported model
  // it fine-tunes the model's own weights for `epochs` epochs (otherwise nothing trains).
  struct GradL1 {
    double lambda_w = 0;
    double lambda_a = 0;
    int start_epoch = 0;  // epochs of plain training first (counted from 0)
  };
  std::optional<GradL1> grad_l1;
};

struct SearchSpec {
  std::string method = "bayesian_bits";  // a search method of search/catalog.h
  int epochs = 3;                      // search epochs
  double mu = 0.1;                     // prior strength: loss = CE + mu * prior
  std::string regularizer = "bops";    // a prior of search/catalog.h: "bops" | "latency"
  int max_bits = 8;                    // highest bit width a gate may reach: 2,4,8,16,32
  bool prune = true;                   // per-output-channel 0-bit gates on weights
  int batch_size = 128;
  double lr = 1e-3;                    // weights (Adam)
  // Gate log_alpha (Adam). Unset: chosen from the search's length so that a gate can travel from
  // gate_init to the test-time threshold within gate_travel of the search steps (Adam moves a
  // parameter about one rate per step whatever its gradient), so mu means the same for a 40-step
  // and a 40,000-step search (search/methods/bayesian_bits/gate_schedule.h). Set: that rate.
  std::optional<double> gate_lr;
  double gate_travel = 0.3;            // share of the search steps (0, 1]; unused with gate_lr
  double gate_init = 3.0;              // initial log_alpha of usable gates (paper: 6)
  double range_lr = 1e-3;              // clipping bounds x_max (Adam)
  uint64_t seed = 1;                   // data order, gate noise, initialisation

  // FracBits only (method "fracbits"; anything below is an error with another method).
  // The resource target: exactly one of relative BOPs (percent of the 32-bit network's) or
  // latency in the job's profile unit. Required by fracbits.
  struct Target {
    std::optional<double> relative_bops_percent;
    std::optional<double> latency;
  };
  std::optional<Target> target;
  double kappa = 1.0;                  // loss = CE + kappa |cost / target - 1|
  double round_at = 0.8;               // share of the search steps after which widths are rounded
  bool per_channel = false;            // one width per output channel of a weight
  bool keep_first_last_8bit = false;   // first and last layer at least 8 bits (the reference's)
  double bits_lr = 0;                  // real bit widths (Adam); 0 = chosen from the schedule
};

struct RefineSpec {
  std::string method = "freebits";          // a refine method of search/catalog.h
                                            // ("freebits" | "none")
  std::optional<double> latency_budget;     // in the profile's unit; null = freebie pass only
  double max_accuracy_drop = 1.0;           // points of top-1, budget mode's stopping rule
  bool fallback_nearest = false;            // scale the nearest measured signature by MACs
};

struct FinetuneSpec {
  // What happens to the searched network at its final bits before it is reported and exported
  // (a fine-tune method of search/catalog.h):
  //   "qat"           quantization-aware fine-tune (epochs, lr)
  //   "adaround"      AdaRound of the weights at the searched bits, no training (epochs is 0)
  //   "adaround+qat"  AdaRound, then the quantization-aware fine-tune from its weights
  std::string method = "qat";
  int epochs = 1;          // 0 with method "adaround" (the default there)
  double lr = 1e-4;        // weights (Adam); ranges use search.range_lr / 10
  int adaround_iterations = 10000;      // per layer ("adaround": {"iterations": N})
  int64_t calibration_samples = 1024;   // unlabelled training samples AdaRound fits on

  bool rounds() const { return method != "qat"; }
};

// What an export (run --export, a worker's export) writes besides the quantized network.
struct ExportSpec {
  // The preprocessing as the exported graph's first nodes, so the exported model takes the data
  // set's raw values. Default: true for zoo models (bitsearch chose the preprocessing), false for
  // an imported model (its export takes what the user already feeds the imported model).
  bool include_preprocessing = true;
};

struct JobSpec {
  int version = 1;
  std::string name = "job";
  ModelSpec model;
  DatasetSpec dataset;
  HardwareSpec hardware;
  PretrainSpec pretrain;
  SearchSpec search;
  RefineSpec refine;
  FinetuneSpec finetune;
  // search.method "none": the bits and steps of post-training quantization (baseline_spec.h);
  // another method: only ptq.steps.cle (and calibration_samples), equalization before the search.
  PtqJobSpec ptq;
  std::vector<BaselineSpec> baselines;  // catalog names ("w8a8", ...) or objects (baseline_spec.h)
  // Search methods run side by side on the one pretrained model ("compare_methods"), the job's
  // own search.method among them; empty = that method alone. Each other method runs its own
  // search, refinement and fine-tune after the job's; FracBits without a search.target takes
  // the relative BOPs (or, with the latency prior, the latency) the job's own search reached.
  std::vector<std::string> compare_methods;
  ExportSpec export_options;
  int64_t checkpoint_every = 200;   // steps between checkpoints (0 = only at phase ends)
};

// Parses and validates a spec; the error names the offending field.
absl::StatusOr<JobSpec> ParseJobSpec(const nlohmann::json& j);
// Same, from JSON text; a syntax error reports line and column.
absl::StatusOr<JobSpec> ParseJobSpecText(const std::string& text);
// Reads and parses a spec file; errors carry the path.
absl::StatusOr<JobSpec> LoadJobSpecFile(const std::string& path);
// The spec with every default filled in, as JSON (what a job actually runs).
nlohmann::json JobSpecToJson(const JobSpec& spec);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_SPEC_H_
