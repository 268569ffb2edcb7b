#include "search/bit_config.h"

namespace bitsearch {

BitConfig UniformBits(const std::vector<std::string>& layer_names, int w, int a) {
  BitConfig config;
  for (const std::string& name : layer_names) config.layers.push_back({name, w, a, {}});
  return config;
}

nlohmann::json BitConfigToJson(const BitConfig& config) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerBits& l : config.layers) {
    layers.push_back({{"name", l.name}, {"weight_bits", l.weight_bits}, {"act_bits", l.act_bits},
                      {"keep", l.keep}});
  }
  return layers;
}

BitConfig BitConfigFromJson(const nlohmann::json& j) {
  BitConfig config;
  for (const auto& l : j) {
    config.layers.push_back({l.at("name").get<std::string>(), l.at("weight_bits").get<int>(),
                             l.at("act_bits").get<int>(),
                             l.at("keep").get<std::vector<uint8_t>>()});
  }
  return config;
}

}  // namespace bitsearch
