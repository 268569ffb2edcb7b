#include "search/onnx/quant_json.h"

#include <cstring>

#include "absl/strings/escaping.h"

namespace bitsearch {

std::string PackBits(const std::vector<int64_t>& values, int bits) {
  const uint64_t total_bits = static_cast<uint64_t>(values.size()) * bits;
  std::string out((total_bits + 7) / 8, '\0');
  const uint64_t mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  uint64_t pos = 0;
  for (int64_t v : values) {
    uint64_t u = static_cast<uint64_t>(v) & mask;  // two's complement, low b bits
    for (int b = 0; b < bits; ++b, ++pos) {
      if ((u >> b) & 1) out[pos / 8] = static_cast<char>(out[pos / 8] | (1 << (pos % 8)));
    }
  }
  return out;
}

std::vector<int64_t> UnpackBits(const std::string& bytes, int bits, int64_t count) {
  std::vector<int64_t> out(count);
  uint64_t pos = 0;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t u = 0;
    for (int b = 0; b < bits; ++b, ++pos) {
      if ((static_cast<uint8_t>(bytes[pos / 8]) >> (pos % 8)) & 1) u |= uint64_t{1} << b;
    }
    // Sign-extend the b-bit field.
    if (bits < 64 && (u >> (bits - 1)) & 1) u |= ~uint64_t{0} << bits;
    out[i] = static_cast<int64_t>(u);
  }
  return out;
}

namespace {

nlohmann::json GridJson(const QuantGrid& g) {
  return {{"bits", g.bits},           {"signed", g.is_signed}, {"scale", g.integer() ? g.scale : 0.0f},
          {"zero_point", g.zero_point}, {"qmin", g.qmin},        {"qmax", g.qmax},
          {"x_max", g.x_max}};
}

std::vector<float> Floats(const torch::Tensor& t) {
  auto c = t.contiguous().to(torch::kFloat);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

nlohmann::json BuildQuantJson(const ExportPlan& plan) {
  nlohmann::json j;
  j["format"] = "bitsearch-quant";
  j["version"] = 1;
  j["input_shape"] = plan.input_shape;
  if (plan.preprocessing) {
    j["preprocessing"] = plan.preprocessing->ToJson();
    j["preprocessing"]["in_model"] = plan.preprocessing_in_graph;
    j["preprocessing"]["model_input"] = plan.preprocessing_in_graph
                                            ? "the data set's raw values (model.onnx and model.pt apply the preprocessing)"
                                            : "preprocessed values: apply the preprocessing before model.onnx and model.pt";
  }
  j["activations"] = nlohmann::json::array();
  for (size_t a = 0; a < plan.acts.size(); ++a) {
    nlohmann::json e = GridJson(plan.acts[a].grid);
    e["index"] = a;
    e["tensor"] = plan.graph.nodes[plan.acts[a].producer].name;
    j["activations"].push_back(e);
  }
  int64_t total = 0;
  j["layers"] = nlohmann::json::array();
  for (const LayerPlan& l : plan.layers) {
    const Node& n = plan.graph.nodes[l.node];
    nlohmann::json e = GridJson(l.weight);
    e.erase("bits");
    e["name"] = l.name;
    e["type"] = OpName(n.op);
    e["weight_bits"] = l.weight.bits;
    e["act_bits"] = plan.acts[l.act].grid.bits;
    e["act_index"] = l.act;
    e["out_channels"] = n.out_channels;
    std::vector<int64_t> kept;
    for (size_t c = 0; c < l.keep.size(); ++c) {
      if (l.keep[c]) kept.push_back(static_cast<int64_t>(c));
    }
    if (l.weight.bits == 0) kept.clear();
    e["kept_channels"] = kept;
    e["input_channels"] = l.in_channels;
    e["features_per_channel"] = l.features_per_channel;
    e["channels_removed_in_onnx"] = l.removed;
    torch::Tensor w = l.weight.bits == 0 ? l.weight_q.slice(0, 0, 0) : KeptWeights(l);
    e["weight_shape"] = w.sizes().vec();
    if (l.bias.defined()) {
      std::vector<int64_t> rows;
      for (size_t r = 0; r < l.out_channels.size(); ++r) {
        if (l.keep[l.out_channels[r]] && l.weight.bits != 0) rows.push_back(static_cast<int64_t>(r));
      }
      e["bias"] = Floats(l.bias.index_select(0, torch::tensor(rows, torch::kLong)));
    }
    std::string payload;
    if (l.weight.integer()) {
      auto codes = QuantizeCodes(w, l.weight).contiguous();
      std::vector<int64_t> v(codes.data_ptr<int64_t>(), codes.data_ptr<int64_t>() + codes.numel());
      payload = PackBits(v, l.weight.bits);
    } else if (l.weight.bits == 32) {
      auto f = w.contiguous().to(torch::kFloat);
      payload.assign(static_cast<const char*>(f.data_ptr()), f.nbytes());  // x86/ARM: little-endian
    }
    e["payload_bytes"] = payload.size();
    e["weights"] = absl::Base64Escape(payload);
    total += static_cast<int64_t>(payload.size());
    j["layers"].push_back(e);
  }
  j["payload_bytes"] = total;
  return j;
}

}  // namespace bitsearch
