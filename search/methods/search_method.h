// The search-method seam (TVM auto_scheduler's SearchPolicy in spirit): a method gets the folded
// graph, the training data, the job's hardware profile and a network whose ranges are initialised,
// trains what it needs, and returns a BitConfig with the network fixed at it. The pipeline does
// everything around it (data, pretraining, range initialisation, refinement, fine-tuning, export,
// the result), so a new method is one folder behind this interface plus one registry line
// (search/pipeline/registry.h).
//
// Thread-safety: a method object runs one search at a time, on the job's thread.
#ifndef BITSEARCH_SEARCH_METHODS_SEARCH_METHOD_H_
#define BITSEARCH_SEARCH_METHODS_SEARCH_METHOD_H_

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "latency_models/latency_model.h"
#include "nlohmann/json.hpp"
#include "search/bit_config.h"
#include "search/data/dataset.h"
#include "search/network.h"
#include "search/observer.h"
#include "search/spec.h"
#include "search/trainer.h"

namespace bitsearch {

// Where a stopped search left off: its network and optimizer at `cursor`.
struct SearchResumePoint {
  PhaseCursor cursor;
  std::string optimizer_state;  // SerializeOptimizer; the network is SearchContext::start_state
};

// Everything a method may use. Pointers are owned by the pipeline and outlive the search.
struct SearchContext {
  const JobSpec* spec = nullptr;
  const Graph* graph = nullptr;           // the folded graph the networks are built from
  const Split* train = nullptr;           // training split (validation and test stay unseen)
  // The first n calibration samples: dataset.calibration's, or the training split's.
  std::function<torch::Tensor(int64_t n)> calibration;
  const LatencyModel* latency = nullptr;  // the job's hardware profile
  JobObserver* observer = nullptr;        // progress and cancellation; may be null
  std::string phase;                      // the phase name for progress and checkpoints
  // The network to start from (SerializeModule): ranges initialised, or the stopped search's
  // network when `resume` is set.
  std::string start_state;
  std::optional<SearchResumePoint> resume;
  // A fresh network of the folded graph with the method's quantizers and the job's noise source.
  std::function<Network()> new_network;
  // Saves a checkpoint at `cursor` (network, optimizer and the method's SaveState()). Call it
  // through RunPhase's `save`; it is a no-op when the job has no checkpoint store.
  std::function<absl::Status(const PhaseCursor& cursor, torch::nn::Module* net,
                             torch::optim::Optimizer* optimizer)>
      save;
};

struct SearchOutcome {
  BitConfig config;  // the searched bits and channel masks, in the graph's layer order
  Network network;   // fixed at `config`: refinement, fine-tuning and export start from it
  // What the method did that the user should see, as the result's "ptq" (a post-training job:
  // its CLE, bias correction and AdaRound); null when there is nothing.
  nlohmann::json report;
};

class SearchMethod {
 public:
  virtual ~SearchMethod() = default;

  // The quantizers the job's networks carry (search, refinement, fine-tuning, export);
  // empty = Bayesian Bits quantizers.
  virtual QuantizerFactory quantizers() const { return nullptr; }

  // Runs the search. Returns CANCELLED (after saving) when the observer asks to stop.
  virtual absl::StatusOr<SearchOutcome> Search(SearchContext& context) = 0;

  // The method's own checkpointable state besides the network and optimizer (schedules, offsets
  // found so far); saved with every checkpoint of the search and handed back before a resumed
  // Search(). Default: none.
  virtual nlohmann::json SaveState() const { return nullptr; }
  virtual absl::Status LoadState(const nlohmann::json& state) {
    (void)state;
    return absl::OkStatus();
  }
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_METHODS_SEARCH_METHOD_H_
