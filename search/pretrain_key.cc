#include "search/pretrain_key.h"

namespace bitsearch {

nlohmann::json PretrainKey(const nlohmann::json& spec) {
  return {{"format", "fp-cache-2"},
          {"model", spec["model"]},
          {"dataset", spec["dataset"]},
          {"pretrain", spec["pretrain"]},
          {"seed", spec["search"]["seed"]},
          {"prune", spec["search"]["prune"]},
          {"max_bits", spec["search"]["max_bits"]},
          {"gate_init", spec["search"]["gate_init"]}};
}

uint64_t PretrainKeyHash(const nlohmann::json& full_spec) {
  uint64_t h = 1469598103934665603ull;
  for (char c : PretrainKey(full_spec).dump()) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

bool TrainsFloatModel(const JobSpec& spec) {
  return spec.model.onnx.empty() && spec.pretrain.epochs > 0;
}

}  // namespace bitsearch
