#include "search/ptq/searched_rounding.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "search/ptq/adaround_network.h"
#include "search/ptq/grid.h"
#include "search/ptq/ptq_quantizer.h"

namespace bitsearch {
namespace {

// Copies `from`'s clipping bound and signedness into the post-training quantizer `to`.
absl::Status CopyRange(TensorQuantizerImpl& from, TensorQuantizerImpl& to, const std::string& what) {
  std::vector<torch::Tensor> ranges = from.RangeParameters();
  if (ranges.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "finetune.method: AdaRound keeps the searched clipping ranges, and the ", what,
        " quantizer of this search method has ", ranges.size(), " range parameters, not one"));
  }
  AsPtq(to).SetRange(ranges[0].detach(), from.is_signed());
  return absl::OkStatus();
}

// Zeroes the float weights of the output channels `net` prunes (or of a whole 0-bit weight).
void ZeroPrunedWeights(NetworkImpl& net) {
  torch::NoGradGuard no_grad;
  for (auto& layer : net.layer_quants()) {
    torch::Tensor w = net.weight(layer.node);
    if (layer.weight->DecidedBits() == 0) {
      w.zero_();
      continue;
    }
    const std::vector<uint8_t> keep = layer.weight->DecidedKeep();
    for (size_t c = 0; c < keep.size() && static_cast<int64_t>(c) < w.size(0); ++c) {
      if (!keep[c]) w[static_cast<int64_t>(c)].zero_();
    }
  }
}

}  // namespace

void BakeRoundingIntoWeights(NetworkImpl& net) {
  torch::NoGradGuard no_grad;
  for (auto& layer : net.layer_quants()) {
    PtqQuantizerImpl& wq = AsPtq(*layer.weight);
    if (!wq.has_rounding()) continue;
    torch::Tensor w = net.weight(layer.node);
    w.copy_(wq.forward(w));  // fixed mode: the rounded grid values, pruned channels at 0
    wq.ClearRounding();
  }
}

absl::StatusOr<Network> PtqCopyOfSearched(NetworkImpl& searched, const BitConfig& config) {
  if (config.layers.size() != searched.layer_quants().size()) {
    return absl::InvalidArgumentError(absl::StrCat("finetune: the bit configuration has ",
                                                   config.layers.size(), " layers, the network ",
                                                   searched.layer_quants().size()));
  }
  Network q = PtqNetworkOf(searched, searched.options().prune);
  auto& from = searched.layer_quants();
  auto& to = q->layer_quants();
  for (size_t k = 0; k < from.size(); ++k) {
    absl::Status st = CopyRange(*from[k].weight, *to[k].weight, config.layers[k].name + " weight");
    if (!st.ok()) return st;
  }
  for (size_t a = 0; a < q->act_quantizers().size(); ++a) {
    absl::Status st = CopyRange(*searched.act_quantizers()[a], *q->act_quantizers()[a],
                                absl::StrCat("activation ", a));
    if (!st.ok()) return st;
  }
  q->SetFixed(config);
  ZeroPrunedWeights(*q);
  q->SetQuantMode(QuantMode::kFixed);
  q->eval();
  return q;
}

absl::StatusOr<PtqOutcome> RoundSearchedNetwork(NetworkImpl& searched,
                                                const torch::Tensor& calibration,
                                                const BitConfig& config,
                                                const AdaRoundOptions& options,
                                                const PtqProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (!calibration.defined() || calibration.size(0) == 0) {
    return absl::InvalidArgumentError("finetune: no calibration samples for AdaRound");
  }
  auto copy = PtqCopyOfSearched(searched, config);
  if (!copy.ok()) return copy.status();
  Network q = *copy;
  Network ref = PtqNetworkOf(*q);  // the searched float function, pruned channels removed
  q->SetQuantMode(QuantMode::kFixed);
  PtqOutcome out{q, {}};
  AdaRoundOptions rounding = options;
  rounding.enabled = true;
  absl::Status st = RoundNetworkAdaptively(*q, *ref, calibration, config, rounding,
                                           /*batch_size=*/128, progress, &out.report.rounding);
  if (!st.ok()) return st;
  BakeRoundingIntoWeights(*q);
  q->eval();
  out.report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace bitsearch
