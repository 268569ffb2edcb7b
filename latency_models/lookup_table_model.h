// LookupTableModel: latencies measured on the device, one per (signature, act bits, weight bits).
//
// The most accurate model (measured on the device). A shape the table lacks is an error by
// default, because a silently guessed number would defeat the point of measuring. With the
// opt-in fallback, the nearest measured signature of the same type and bit pair is scaled by the
// ratio of MACs, and the estimate is marked extrapolated so the result can say so.
// Thread-safety: immutable after Create, safe to share.
#ifndef BITSEARCH_LATENCY_MODELS_LOOKUP_TABLE_MODEL_H_
#define BITSEARCH_LATENCY_MODELS_LOOKUP_TABLE_MODEL_H_

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "latency_models/latency_model.h"

namespace bitsearch {

struct LatencyRow {
  LayerSignature signature;
  int act_bits = 8;
  int weight_bits = 8;
  double latency = 0.0;
};

class LookupTableModel : public LatencyModel {
 public:
  // Fails on an empty table, a negative/non-finite latency or a duplicate row.
  static absl::StatusOr<std::unique_ptr<LookupTableModel>> Create(std::string name,
                                                                  std::string unit,
                                                                  const std::vector<LatencyRow>& rows,
                                                                  bool allow_fallback);

  absl::StatusOr<LatencyEstimate> Estimate(const LayerSignature& signature, int act_bits,
                                           int weight_bits) const override;
  std::string unit() const override { return unit_; }
  std::string name() const override { return name_; }
  bool allow_fallback() const { return allow_fallback_; }
  // The table back as rows, sorted by signature then bits (for storing and showing).
  std::vector<LatencyRow> Rows() const;

 private:
  using BitTable = std::map<std::pair<int, int>, double>;
  LookupTableModel(std::string name, std::string unit, bool allow_fallback)
      : name_(std::move(name)), unit_(std::move(unit)), allow_fallback_(allow_fallback) {}

  std::string name_;
  std::string unit_;
  bool allow_fallback_;
  std::unordered_map<LayerSignature, BitTable, LayerSignatureHash> table_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_LOOKUP_TABLE_MODEL_H_
