// The baseline seam: a baseline turns the job's float model into a fixed configuration to compare
// the searched one against (today fixed-bit quantization-aware training, "w8a8" and so on;
// post-training quantization next). The pipeline runs each requested baseline as its own phase,
// evaluates the network it returns on the test split and reports accuracy, relative BOPs and
// latency beside the search's.
//
// Thread-safety: a baseline object runs once, on the job's thread.
#ifndef BITSEARCH_SEARCH_BASELINES_BASELINE_H_
#define BITSEARCH_SEARCH_BASELINES_BASELINE_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "search/bit_config.h"
#include "search/data/dataset.h"
#include "search/network.h"
#include "search/observer.h"
#include "search/spec.h"

namespace bitsearch {

// Everything a baseline may use; pointers are owned by the pipeline and outlive the run.
struct BaselineContext {
  const JobSpec* spec = nullptr;
  const Graph* graph = nullptr;      // the folded graph
  const Split* train = nullptr;      // training split
  // The first n calibration samples: dataset.calibration's, or the training split's.
  std::function<torch::Tensor(int64_t n)> calibration;
  JobObserver* observer = nullptr;   // progress of long steps (AdaRound); may be null
  std::string phase;                 // the phase name progress is reported under
  std::string fp_state;              // SerializeModule of the folded float network
  // Set when a stopped run of this baseline is resumed: its network (SerializeModule).
  std::optional<std::string> resume_state;
  // A fresh network of the folded graph with Bayesian Bits quantizers (fixed-bit mode is the
  // plain quantizer every baseline shares, so baselines compare alike whatever the search).
  std::function<Network()> new_network;
  // Fine-tunes a fixed network exactly as the pipeline's fine-tune phase does (same epochs,
  // rates and data order), with this baseline's checkpoints, resume and cancellation.
  std::function<absl::Status(NetworkImpl& net)> finetune;
};

struct BaselineOutcome {
  BitConfig config;  // what the baseline fixed, network input at 8 bits
  Network network;   // fixed at `config`; the pipeline evaluates it
  nlohmann::json report;  // what the baseline's steps did, for the result (null: nothing to say)
};

class Baseline {
 public:
  virtual ~Baseline() = default;
  virtual absl::StatusOr<BaselineOutcome> Run(BaselineContext& context) = 0;
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_BASELINES_BASELINE_H_
