// Free Bits refinement (Rutishauser, Conti, Benini, arXiv:2307.02894) on an abstract, torch-free
// problem.
//
// After the Bayesian Bits search has chosen per-layer bits, this module asks the device's latency
// model where higher precision is *faster* and takes those "freebies", then, if the job set a
// latency budget that is still missed, lowers precision greedily while a caller-supplied callback
// re-measures validation loss and accuracy. The caller (the job pipeline) translates its graph and
// bit configuration into a RefineProblem and back; nothing here knows about LibTorch.
//
// Thread-safety: RefineFreeBits is a pure function of its arguments; the LatencyModel must be
// safe for const calls (all bitsearch models are). The callback is called from the calling thread.
#ifndef BITSEARCH_SEARCH_REFINE_FREEBITS_H_
#define BITSEARCH_SEARCH_REFINE_FREEBITS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency_models/latency_model.h"

namespace bitsearch::refine {

// An activation tensor feeding one or more layers; all its consumers see the same bit width.
struct ActTensor {
  std::string id;
  int bits = 8;
  bool frozen = false;  // never changed (the network input, which stays 8-bit)
};

struct RefineLayer {
  std::string name;
  LayerSignature signature;
  int weight_bits = 8;             // 0 = pruned entirely: costs nothing and is never touched
  std::string act_tensor;          // id of the input activation tensor
  double kept_mac_fraction = 1.0;  // share of MACs left after channel pruning
};

struct RefineProblem {
  std::vector<RefineLayer> layers;
  std::vector<ActTensor> act_tensors;
  std::vector<int> candidate_bits = {2, 4, 8};  // bit widths the refinement may move to
};

// A configuration: weight bits per layer (problem order) and act bits per tensor id.
struct BitConfig {
  std::vector<int> weight_bits;
  std::map<std::string, int> act_bits;
};

// One validation measurement of a configuration.
struct EvalPoint {
  double loss = 0.0;
  double accuracy = 0.0;  // same unit as max_accuracy_drop (the pipeline uses percent)
};

using EvalFn = std::function<absl::StatusOr<EvalPoint>(const BitConfig&)>;

struct RefineOptions {
  bool freebie = true;                   // run the freebie pass
  std::optional<double> latency_budget;  // in the model's unit; unset = no budget mode
  double max_accuracy_drop = 1.0;        // budget mode stops before falling further below start
  int max_rounds = 64;                   // bound on repeated freebie passes
  int max_evaluations = 100000;          // bound on callback calls in budget mode
};

struct RefineMove {
  std::string phase;       // "freebie" | "budget"
  std::string what;        // "weight" | "act"
  std::string target;      // layer name or activation tensor id
  int from_bits = 0;
  int to_bits = 0;
  double total_latency_after = 0.0;  // network latency once this move's group was applied
  std::optional<EvalPoint> eval;     // budget moves: the measurement that accepted it
};

struct RefineResult {
  BitConfig config;
  double latency_before = 0.0;        // of the input configuration
  double latency_after = 0.0;         // of `config`
  std::vector<double> layer_latency;  // of `config`, per layer
  int steps = 0;                      // number of bit changes (== moves.size())
  bool feasible = true;               // false only when a budget was set and is still missed
  std::optional<EvalPoint> start_point;  // budget mode: measurement after the freebie pass
  std::optional<EvalPoint> final_point;  // budget mode: measurement of `config`
  int evaluations = 0;                // callback calls
  std::vector<RefineMove> moves;
  std::string summary;                // one line for logs and the result
};

// Runs the freebie pass (repeated until nothing changes), then budget mode when
// options.latency_budget is set and unmet (which needs `eval`). Invalid problems (unknown tensor
// ids, bits outside 0..32, bad fractions) and latency lookups that fail for a layer's current
// pair are errors; candidate pairs the model cannot price are simply not considered.
absl::StatusOr<RefineResult> RefineFreeBits(const RefineProblem& problem,
                                            const LatencyModel& model,
                                            const RefineOptions& options,
                                            const EvalFn& eval = nullptr);

// Latency of every layer of `problem` at `config` (the same accounting RefineFreeBits uses).
absl::StatusOr<std::vector<double>> ConfigLayerLatency(const RefineProblem& problem,
                                                       const LatencyModel& model,
                                                       const BitConfig& config);

}  // namespace bitsearch::refine

#endif  // BITSEARCH_SEARCH_REFINE_FREEBITS_H_
