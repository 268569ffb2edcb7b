#include "search/data/preprocess.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace bitsearch {
namespace {

absl::StatusOr<std::vector<float>> PerChannel(const std::vector<double>& given, double fallback, int64_t channels,
                                              const char* field) {
  if (given.empty()) return std::vector<float>(channels, static_cast<float>(fallback));
  if (given.size() == 1) return std::vector<float>(channels, static_cast<float>(given[0]));
  if (static_cast<int64_t>(given.size()) != channels) {
    return absl::InvalidArgumentError(absl::StrCat("dataset.preprocess.", field, ": has ", given.size(),
                                                   " values but the samples have ", channels, " channels"));
  }
  return std::vector<float>(given.begin(), given.end());
}

torch::Tensor ChannelTensor(const std::vector<float>& v) {
  return torch::tensor(v, torch::kFloat).reshape({1, static_cast<int64_t>(v.size()), 1, 1});
}

}  // namespace

torch::Tensor Preprocessing::Apply(const torch::Tensor& raw) const {
  torch::Tensor x = raw.to(torch::kFloat);
  x = x * torch::tensor(scale, torch::kFloat);
  x = x - ChannelTensor(mean);
  x = x / ChannelTensor(std);
  return x.contiguous();
}

nlohmann::json Preprocessing::ToJson() const {
  return {{"source", source},
          {"formula", "(x * scale - mean[c]) / std[c], x = the data set's raw values"},
          {"scale", scale},
          {"mean", mean},
          {"std", std}};
}

absl::StatusOr<Preprocessing> ResolvePreprocessing(const PreprocessSpec& spec, const torch::Tensor& train_raw) {
  const int64_t channels = train_raw.size(1);
  Preprocessing p;
  if (!spec.automatic) {
    p.source = "spec";
    p.scale = static_cast<float>(spec.scale);
    auto mean = PerChannel(spec.mean, 0.0, channels, "mean");
    if (!mean.ok()) return mean.status();
    auto std = PerChannel(spec.std, 1.0, channels, "std");
    if (!std.ok()) return std.status();
    p.mean = *mean;
    p.std = *std;
    return p;
  }
  // Sums in double over chunks: exact enough, and no float copy of the whole split at once.
  const int64_t n = train_raw.size(0);
  torch::Tensor sum = torch::zeros({channels}, torch::kDouble), sq = torch::zeros({channels}, torch::kDouble);
  for (int64_t from = 0; from < n; from += 4096) {
    torch::Tensor chunk = train_raw.slice(0, from, std::min(n, from + 4096)).to(torch::kDouble);
    sum += chunk.sum({0, 2, 3});
    sq += (chunk * chunk).sum({0, 2, 3});
  }
  const double count = static_cast<double>(n) * train_raw.size(2) * train_raw.size(3);
  for (int64_t c = 0; c < channels; ++c) {
    const double m = sum[c].item<double>() / count;
    const double var = count > 1 ? std::max(0.0, (sq[c].item<double>() - count * m * m) / (count - 1)) : 0.0;
    p.mean.push_back(static_cast<float>(m));
    p.std.push_back(static_cast<float>(std::max(std::sqrt(var), 1e-6)));
  }
  return p;
}

}  // namespace bitsearch
