// The model zoo: graphs of the networks bitsearch knows by name (lenet5, vgg7, resnet8,
// mobilenetv2; their descriptions are in search/catalog.h, the one list of names). Input shape and
// class count follow the data set. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_ZOO_H_
#define BITSEARCH_SEARCH_ZOO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "search/graph.h"

namespace bitsearch {

// The names BuildZooModel knows (a test checks them against the catalog).
std::vector<std::string> ZooFactoryNames();

// Builds `name` for inputs of shape {C,H,W} and `classes` outputs, with shapes inferred.
// `width` multiplies channel counts (vgg7, resnet8, mobilenetv2).
absl::StatusOr<Graph> BuildZooModel(const std::string& name, const std::vector<int64_t>& input_shape,
                                    int64_t classes, double width);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ZOO_H_
