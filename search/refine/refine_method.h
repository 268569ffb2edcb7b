// The refine-method seam: after the search, a refine method may change the searched
// configuration with the job's hardware profile in hand (Free Bits raises precision where the
// device is faster and, with a latency budget, lowers it while validation accuracy allows), and
// reports what it did. The pipeline measures candidate configurations for it on the validation
// split through RefineContext::evaluate. The names a spec may use are in search/catalog.h; the
// pipeline's registry builds them.
//
// Thread-safety: a refine method object runs once, on the job's thread.
#ifndef BITSEARCH_SEARCH_REFINE_REFINE_METHOD_H_
#define BITSEARCH_SEARCH_REFINE_REFINE_METHOD_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency_models/latency_model.h"
#include "nlohmann/json.hpp"
#include "search/bit_config.h"
#include "search/graph.h"
#include "search/refine/freebits.h"
#include "search/spec.h"

namespace bitsearch {

// What the refinement did, as the result's "refine" object reports it.
struct RefineReport {
  std::string method;             // the refine method's name
  bool applied = false;           // false: the searched configuration was kept untouched
  // The rest is filled when applied.
  std::string profile;            // the hardware profile refined against
  double latency_before = 0;      // of the searched configuration, in the profile's unit
  double latency_after = 0;       // of the refined one
  int steps = 0;                  // bit changes made
  bool feasible = true;           // false when a latency budget is still missed
  std::optional<double> latency_budget;
  int evaluations = 0;            // validation measurements taken
  std::string summary;            // one line
  std::vector<refine::RefineMove> moves;  // in order (their validation points are not kept)

  nlohmann::json ToJson() const;
  // Errors: INVALID_ARGUMENT naming the field that is missing or of the wrong type.
  static absl::StatusOr<RefineReport> FromJson(const nlohmann::json& j);
};

struct RefineContext {
  const JobSpec* spec = nullptr;
  const Graph* graph = nullptr;           // the folded graph
  const BitConfig* searched = nullptr;    // the search's configuration
  const LatencyModel* latency = nullptr;  // the job's hardware profile
  // Validation loss and accuracy (percent) of the searched network fixed at a configuration;
  // empty when the job has no validation split (never the test split: the reported accuracy
  // comes from it). Budget mode is refused then; the freebie pass needs no measurement.
  std::function<absl::StatusOr<refine::EvalPoint>(const BitConfig& config)> evaluate;
  std::function<void(const std::string& line)> log;  // a note for the user
};

struct RefineOutcome {
  BitConfig config;  // the configuration fine-tuning starts from
  RefineReport report;
};

class RefineMethod {
 public:
  virtual ~RefineMethod() = default;
  // Errors: INVALID_ARGUMENT when the problem cannot be refined (a layer the profile cannot price).
  virtual absl::StatusOr<RefineOutcome> Refine(const RefineContext& context) = 0;
};

// "freebits": the freebie pass, then budget mode when refine.latency_budget is set and missed.
std::unique_ptr<RefineMethod> MakeFreeBitsRefinement();
// "none": keeps the searched configuration.
std::unique_ptr<RefineMethod> MakeNoRefinement();

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REFINE_REFINE_METHOD_H_
