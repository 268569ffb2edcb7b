#include "latency_models/layer_signature.h"

#include <functional>
#include <set>

#include "absl/strings/str_cat.h"

namespace bitsearch {

LayerSignature LayerSignature::Linear(int64_t in_features, int64_t out_features) {
  LayerSignature s;
  s.type = "linear";
  s.in_channels = in_features;
  s.out_channels = out_features;
  return s;
}

int64_t LayerSignature::Macs() const {
  const int64_t per_output = (in_channels / (groups > 0 ? groups : 1)) * kernel_h * kernel_w;
  return out_h * out_w * out_channels * per_output;
}

int64_t LayerSignature::WeightCount() const {
  return out_channels * (in_channels / (groups > 0 ? groups : 1)) * kernel_h * kernel_w;
}

std::string LayerSignature::Key() const {
  return absl::StrCat(type, ":g", groups, ":k", kernel_h, "x", kernel_w, ":s", stride, ":p",
                      padding, ":in", in_h, "x", in_w, ":out", out_h, "x", out_w, ":c",
                      in_channels, ">", out_channels);
}

absl::Status LayerSignature::Validate() const {
  auto bad = [](const std::string& field, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("field '", field, "': ", why));
  };
  if (type != "conv" && type != "linear") {
    return bad("type", absl::StrCat("unknown layer type '", type, "' (expected conv or linear)"));
  }
  struct Min { const char* name; int64_t value; int64_t min; };
  const Min mins[] = {{"groups", groups, 1},     {"kernel_h", kernel_h, 1},
                      {"kernel_w", kernel_w, 1}, {"stride", stride, 1},
                      {"padding", padding, 0},   {"in_h", in_h, 1},
                      {"in_w", in_w, 1},         {"out_h", out_h, 1},
                      {"out_w", out_w, 1},       {"in_channels", in_channels, 1},
                      {"out_channels", out_channels, 1}};
  for (const Min& m : mins) {
    if (m.value < m.min) return bad(m.name, absl::StrCat(m.value, " is below ", m.min));
  }
  if (in_channels % groups != 0) {
    return bad("groups", absl::StrCat("in_channels ", in_channels, " not divisible by ", groups));
  }
  if (out_channels % groups != 0) {
    return bad("groups", absl::StrCat("out_channels ", out_channels, " not divisible by ", groups));
  }
  if (type == "linear") {
    // A linear layer is a 1x1 conv on a 1x1 image; anything else would make two spellings of
    // one layer and break the merging of identical signatures.
    if (groups != 1) return bad("groups", "a linear layer has groups 1");
    if (kernel_h != 1 || kernel_w != 1) return bad("kernel_h", "a linear layer has kernel 1x1");
    if (in_h != 1 || in_w != 1 || out_h != 1 || out_w != 1) {
      return bad("in_h", "a linear layer has spatial size 1x1");
    }
    if (stride != 1 || padding != 0) return bad("stride", "a linear layer has stride 1, padding 0");
  }
  return absl::OkStatus();
}

size_t LayerSignatureHash::operator()(const LayerSignature& s) const {
  size_t h = std::hash<std::string>()(s.type);
  for (int64_t v : {s.groups, s.kernel_h, s.kernel_w, s.stride, s.padding, s.in_h, s.in_w,
                    s.out_h, s.out_w, s.in_channels, s.out_channels}) {
    h ^= std::hash<int64_t>()(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  }
  return h;
}

nlohmann::json SignatureToJson(const LayerSignature& s) {
  return nlohmann::json{{"type", s.type},         {"groups", s.groups},
                        {"kernel_h", s.kernel_h}, {"kernel_w", s.kernel_w},
                        {"stride", s.stride},     {"padding", s.padding},
                        {"in_h", s.in_h},         {"in_w", s.in_w},
                        {"out_h", s.out_h},       {"out_w", s.out_w},
                        {"in_channels", s.in_channels}, {"out_channels", s.out_channels}};
}

absl::StatusOr<LayerSignature> SignatureFromJson(const nlohmann::json& j,
                                                 const std::string& where) {
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, ": expected an object"));
  LayerSignature s;
  if (!j.contains("type") || !j["type"].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".type: required string"));
  }
  s.type = j["type"].get<std::string>();
  const std::pair<const char*, int64_t*> fields[] = {
      {"groups", &s.groups}, {"kernel_h", &s.kernel_h}, {"kernel_w", &s.kernel_w},
      {"stride", &s.stride}, {"padding", &s.padding},   {"in_h", &s.in_h},
      {"in_w", &s.in_w},     {"out_h", &s.out_h},       {"out_w", &s.out_w},
      {"in_channels", &s.in_channels}, {"out_channels", &s.out_channels}};
  std::set<std::string> known = {"type"};
  for (const auto& [name, dst] : fields) {
    known.insert(name);
    auto it = j.find(name);
    if (it == j.end()) continue;
    if (!it->is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".", name, ": expected an integer"));
    }
    *dst = it->get<int64_t>();
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!known.count(it.key())) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".", it.key(), ": unknown field"));
    }
  }
  if (absl::Status st = s.Validate(); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", st.message()));
  }
  return s;
}

bool IsSupportedBitWidth(int bits) { return bits >= 1 && bits <= 32; }

}  // namespace bitsearch
