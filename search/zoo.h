// The model zoo: graphs of the networks bitsearch knows by name (lenet5, vgg7, resnet8,
// mobilenetv2). Input shape and class count follow the data set. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_ZOO_H_
#define BITSEARCH_SEARCH_ZOO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "search/graph.h"

namespace bitsearch {

struct ZooEntry {
  std::string name;
  std::string description;
};

// Every zoo model with a one-line description (for `bitsearch models list`).
std::vector<ZooEntry> ZooModels();

// Builds `name` for inputs of shape {C,H,W} and `classes` outputs, with shapes inferred.
// `width` multiplies channel counts (vgg7, resnet8, mobilenetv2).
absl::StatusOr<Graph> BuildZooModel(const std::string& name, const std::vector<int64_t>& input_shape,
                                    int64_t classes, double width);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ZOO_H_
