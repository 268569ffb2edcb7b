#include "search/ptq/adaround_network.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "search/ptq/adaround.h"
#include "search/ptq/grid.h"
#include "search/ptq/ptq_quantizer.h"

namespace bitsearch {

absl::Status RoundNetworkAdaptively(NetworkImpl& q, NetworkImpl& ref, const torch::Tensor& data,
                                    const BitConfig& bits, const AdaRoundOptions& options,
                                    int batch_size, const PtqProgress& progress,
                                    std::vector<LayerRoundingReport>* report) {
  const Graph& g = q.graph();
  for (TensorQuantizer& a : q.act_quantizers()) a->set_mode(QuantMode::kBypass);
  auto& layers = q.layer_quants();
  for (size_t k = 0; k < layers.size(); ++k) {
    const int b = bits.layers[k].weight_bits;
    if (!QuantizesAtBits(b)) continue;
    const int node = layers[k].node;
    const int input = g.nodes[node].inputs[0];
    PtqQuantizerImpl& wq = AsPtq(*layers[k].weight);
    // Cache the layer's inputs from both networks within the memory budget (two copies).
    torch::Tensor xq, xf;
    {
      torch::NoGradGuard no_grad;
      std::vector<torch::Tensor> parts_q, parts_f;
      int64_t bytes = 0;
      for (int64_t s = 0; s < data.size(0); s += batch_size) {
        torch::Tensor batch = data.slice(0, s, s + batch_size);
        torch::Tensor a = q.ForwardValues(batch, node)[input];
        torch::Tensor f = ref.ForwardValues(batch, node)[input];
        const int64_t per_sample = 2 * a[0].numel() * static_cast<int64_t>(sizeof(float));
        int64_t take = a.size(0);
        if (bytes + take * per_sample > options.cache_bytes) {
          take = std::max<int64_t>(0, (options.cache_bytes - bytes) / per_sample);
        }
        if (take == 0) break;
        parts_q.push_back(a.slice(0, 0, take).contiguous());
        parts_f.push_back(f.slice(0, 0, take).contiguous());
        bytes += take * per_sample;
      }
      if (parts_q.empty()) continue;  // not one sample fits: nearest rounding stays
      xq = torch::cat(parts_q);
      xf = torch::cat(parts_f);
    }
    RoundingProblem p;
    p.function = LayerFunctionOf(g, node);
    p.weight = q.weight(node).detach();
    p.bias = g.nodes[node].bias ? q.bias(node).detach() : torch::Tensor();
    p.x_max = wq.x_max.detach();
    p.bits = b;
    p.is_signed = wq.is_signed();
    p.inputs = xq;
    p.float_inputs = xf;
    const std::string& name = g.nodes[node].name;
    int64_t reached = 0;
    RoundingOutcome out = OptimizeRounding(p, options, [&](int64_t it, double loss) {
      reached = it;
      return !progress || progress(name, it, loss);
    });
    if (out.stopped) {
      return absl::CancelledError(absl::StrCat("cancelled during AdaRound of ", name,
                                               " at iteration ", reached, " of ",
                                               options.iterations));
    }
    const bool kept_nearest = out.error_adaround >= out.error_nearest;
    if (!kept_nearest) wq.SetHardRounding(out.up);
    report->push_back({name, xq.size(0), out.error_nearest, out.error_adaround,
                                kept_nearest ? 0.0 : out.changed_fraction, kept_nearest,
                                out.seconds});
  }
  q.SetQuantMode(QuantMode::kFixed);
  return absl::OkStatus();
}

PtqProgress ObserveAdaRound(JobObserver* observer, const std::string& phase, const Graph& graph,
                            const AdaRoundOptions& options) {
  if (!observer) return {};
  if (!options.enabled) {
    observer->OnPhaseStart(phase, 0);
    return {};
  }
  const std::vector<std::string> names = graph.LayerNames();
  const int64_t layers = static_cast<int64_t>(names.size());
  const int64_t per_layer = options.iterations;
  observer->OnPhaseStart(phase, layers * per_layer);
  return [=](const std::string& layer, int64_t it, double loss) -> bool {
    const int64_t k = std::find(names.begin(), names.end(), layer) - names.begin();
    Progress p;
    p.phase = phase;
    p.step = k * per_layer + it;
    p.total_steps = layers * per_layer;
    p.loss = loss;
    observer->OnProgress(p);
    if (it == per_layer) {
      observer->OnLog(absl::StrCat(phase, ": AdaRound of ", layer, " done (layer ", k + 1, " of ",
                                   layers, ")"));
    }
    return !observer->CancelRequested();
  };
}

}  // namespace bitsearch
