#include "search/methods/fracbits/fracbits_search.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "search/cost.h"
#include "search/grouped_adam.h"
#include "search/job_checkpoint.h"
#include "search/methods/fracbits/expected_cost.h"
#include "search/methods/fracbits/fracbits_quantizer.h"
#include "search/prior.h"

namespace bitsearch::fracbits {
namespace {

constexpr char kBops[] = "relative_bops_percent";
constexpr char kLatency[] = "latency";

// The searched tensors of a network: every layer's weights, then every activation but the
// network input (fixed at 8 bits), with the quantizers behind them.
struct Tensors {
  std::vector<std::string> names;
  std::vector<FracBitsQuantizerImpl*> quantizers;
  std::vector<int> weight_index;  // per layer: index into the above
  std::vector<int> act_index;     // per layer: index, or -1 for the network input
};

absl::StatusOr<Tensors> SearchedTensors(NetworkImpl& net) {
  Tensors t;
  const Graph& g = net.graph();
  std::vector<int> act_slot(net.act_quantizers().size(), -1);
  for (auto& l : net.layer_quants()) {
    FracBitsQuantizerImpl* q = AsFracBits(*l.weight);
    if (q == nullptr) {
      return absl::InternalError(absl::StrCat("layer ", g.nodes[l.node].name,
                                              ": not a FracBits quantizer"));
    }
    t.weight_index.push_back(static_cast<int>(t.quantizers.size()));
    t.names.push_back(g.nodes[l.node].name + ".weight");
    t.quantizers.push_back(q);
  }
  for (auto& l : net.layer_quants()) {
    if (net.act_producer(l.act) == 0) {
      t.act_index.push_back(-1);
      continue;
    }
    if (act_slot[l.act] < 0) {
      FracBitsQuantizerImpl* q = AsFracBits(*net.act_quantizers()[l.act]);
      if (q == nullptr) return absl::InternalError("activation: not a FracBits quantizer");
      act_slot[l.act] = static_cast<int>(t.quantizers.size());
      t.names.push_back(g.nodes[l.node].name + ".input");
      t.quantizers.push_back(q);
    }
    t.act_index.push_back(act_slot[l.act]);
  }
  return t;
}

// The configuration of one grid width per searched tensor.
BitConfig ConfigOf(const Graph& g, const Tensors& t, const std::vector<int>& bits) {
  BitConfig config;
  const std::vector<int> layers = g.Layers();
  for (size_t k = 0; k < layers.size(); ++k) {
    LayerBits b;
    b.name = g.nodes[layers[k]].name;
    b.weight_bits = bits[t.weight_index[k]];
    b.act_bits = t.act_index[k] < 0 ? 8 : bits[t.act_index[k]];
    config.layers.push_back(std::move(b));
  }
  return config;
}

nlohmann::json ReportToJson(const RoundingReport& r) {
  nlohmann::json tensors = nlohmann::json::object();
  for (size_t i = 0; i < r.tensors.size(); ++i) tensors[r.tensors[i]] = r.rounding.bits[i];
  return {{"cost_kind", r.cost_kind},
          {"target", r.target},
          {"step", r.step},
          {"expected_cost", r.expected_cost},
          {"offset", r.rounding.offset},
          {"cost", r.rounding.cost},
          {"tries", r.rounding.tries},
          {"moves", r.rounding.moves},
          {"feasible", r.rounding.feasible},
          {"within_tolerance", r.rounding.within_tolerance},
          {"bits", tensors}};
}

}  // namespace

QuantizerFactory FracBitsSearch::quantizers() const { return FracBitsQuantizers(); }

nlohmann::json FracBitsSearch::SaveState() const {
  if (!report_) return {{"rounded", false}};
  nlohmann::json j = ReportToJson(*report_);
  j["rounded"] = true;
  j["tensor_order"] = report_->tensors;
  j["bits_in_order"] = report_->rounding.bits;
  return j;
}

absl::Status FracBitsSearch::LoadState(const nlohmann::json& state) {
  report_.reset();
  if (!state.is_object() || !state.value("rounded", false)) return absl::OkStatus();
  try {
    RoundingReport r;
    r.cost_kind = state.at("cost_kind").get<std::string>();
    r.target = state.at("target").get<double>();
    r.step = state.at("step").get<int64_t>();
    r.expected_cost = state.at("expected_cost").get<double>();
    r.rounding.offset = state.at("offset").get<double>();
    r.rounding.cost = state.at("cost").get<double>();
    r.rounding.tries = state.at("tries").get<int>();
    r.rounding.moves = state.value("moves", 0);
    r.rounding.feasible = state.at("feasible").get<bool>();
    r.rounding.within_tolerance = state.at("within_tolerance").get<bool>();
    r.tensors = state.at("tensor_order").get<std::vector<std::string>>();
    r.rounding.bits = state.at("bits_in_order").get<std::vector<int>>();
    report_ = std::move(r);
  } catch (const nlohmann::json::exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("fracbits checkpoint state unreadable: ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<SearchOutcome> FracBitsSearch::Search(SearchContext& ctx) {
  const SearchSpec& s = ctx.spec->search;
  if (!s.target) {
    return absl::InvalidArgumentError(
        "search.target: fracbits needs {\"relative_bops_percent\": X} or {\"latency\": Y}");
  }
  const bool by_latency = s.target->latency.has_value();
  const double target = by_latency ? *s.target->latency : *s.target->relative_bops_percent;
  const Graph& g = *ctx.graph;

  Network net = ctx.new_network();
  LoadModule(*net, ctx.start_state);
  net->SetQuantMode(QuantMode::kSearch);
  auto tensors = SearchedTensors(*net);
  if (!tensors.ok()) return tensors.status();
  const std::vector<int> layers = g.Layers();
  if (!ctx.resume) {
    // Per-channel widths and the wide first and last layers are part of the network's state
    // from here on (buffers), so a resumed search finds them in its checkpoint.
    for (int w : tensors->weight_index) tensors->quantizers[w]->set_per_channel(s.per_channel);
    if (s.keep_first_last_8bit && !layers.empty()) {
      for (size_t k : {size_t{0}, layers.size() - 1}) {
        tensors->quantizers[tensors->weight_index[k]]->set_min_bits(8);
        if (tensors->act_index[k] >= 0) tensors->quantizers[tensors->act_index[k]]->set_min_bits(8);
      }
    }
  }

  // The cost: per layer its MACs, or its latency at the 4 x 4 grid widths.
  std::vector<double> macs;
  std::vector<LatencyGrid> latency;
  for (int l : layers) macs.push_back(static_cast<double>(LayerMacs(g, l)));
  if (by_latency) {
    if (ctx.latency == nullptr) {
      return absl::InvalidArgumentError("search.target.latency: the job has no hardware profile");
    }
    auto table = LatencyPriorTable(g, *ctx.latency);
    if (!table.ok()) return table.status();
    for (const auto& t : *table) {
      LatencyGrid grid{};
      for (int a = 0; a < 4; ++a) {
        for (int w = 0; w < 4; ++w) grid[a][w] = t[a][w];  // {2,4,8,16} lead {2,...,32}
      }
      latency.push_back(grid);
    }
  }
  const torch::Tensor input_probs = WidthProbabilities(torch::tensor(8.0f)).to(net->device());
  auto expected_cost = [&]() {
    std::vector<torch::Tensor> wp, ap;
    for (size_t k = 0; k < layers.size(); ++k) {
      wp.push_back(WidthProbabilities(tensors->quantizers[tensors->weight_index[k]]->EffectiveBits()));
      const int a = tensors->act_index[k];
      ap.push_back(a < 0 ? input_probs : WidthProbabilities(tensors->quantizers[a]->EffectiveBits()));
    }
    return by_latency ? ExpectedLatency(latency, wp, ap) : ExpectedRelativeBops(macs, wp, ap);
  };
  auto price = [&](const std::vector<int>& bits) {
    if (!by_latency) return ComputeCosts(g, ConfigOf(g, *tensors, bits)).relative_bops_percent;
    double total = 0;
    for (size_t k = 0; k < layers.size(); ++k) {
      const int a = tensors->act_index[k] < 0 ? 8 : bits[tensors->act_index[k]];
      total += latency[k][GridIndex(a)][GridIndex(bits[tensors->weight_index[k]])];
    }
    return total;
  };

  const int64_t total_steps = StepsPerEpoch(ctx.train->size(), s.batch_size) * s.epochs;
  const int64_t round_step = static_cast<int64_t>(std::llround(s.round_at * total_steps));
  // Widths need to be able to cross the whole grid in a quarter of the steps before rounding.
  const double start = BitsAtPosition(GridIndex(std::min(s.max_bits, 16)) - 0.1);
  const double bits_lr =
      s.bits_lr > 0 ? s.bits_lr : (start - 2.0) / std::max<double>(1.0, 0.25 * round_step);

  auto round_now = [&](int64_t step) {
    torch::NoGradGuard no_grad;
    RoundingReport r;
    r.cost_kind = by_latency ? kLatency : kBops;
    r.target = target;
    r.step = step;
    r.expected_cost = expected_cost().item<double>();
    r.tensors = tensors->names;
    RoundingProblem p;
    for (FracBitsQuantizerImpl* q : tensors->quantizers) {
      p.positions.push_back(GridPosition(q->EffectiveBits().mean().item<double>()));
      p.min_bits.push_back(q->min_bits());
      p.max_bits.push_back(q->max_bits());
    }
    p.target = target;
    p.cost = price;
    r.rounding = RoundToTarget(p);
    for (size_t i = 0; i < tensors->quantizers.size(); ++i) {
      tensors->quantizers[i]->FixBits(r.rounding.bits[i]);
    }
    if (ctx.observer) {
      ctx.observer->OnLog(absl::StrFormat(
          "fracbits: rounded at step %d with offset %.4f and %d single-tensor moves: %s %.4g for "
          "target %.4g%s",
          step, r.rounding.offset, r.rounding.moves, r.cost_kind, r.rounding.cost, target,
          r.rounding.feasible ? "" : " (infeasible: the cheapest configuration the rule reaches)"));
    }
    report_ = std::move(r);
  };

  GroupedAdam opt({{net->WeightParameters(), s.lr},
                   {net->QuantizerParameters(), bits_lr},
                   {net->RangeParameters(), s.range_lr}});
  PhaseCursor cursor;
  if (ctx.resume) {
    LoadOptimizer(opt.adam(), ctx.resume->optimizer_state);
    cursor = ctx.resume->cursor;
    if (report_) {  // resumed past the rounding: the widths stay where it put them
      for (size_t i = 0; i < tensors->quantizers.size(); ++i) {
        tensors->quantizers[i]->FixBits(report_->rounding.bits[i]);
      }
    }
  } else {
    report_.reset();
  }

  PhasePlan plan;
  plan.name = ctx.phase;
  plan.epochs = s.epochs;
  plan.batch_size = s.batch_size;
  plan.seed = s.seed;
  plan.schedule = [&](int64_t step, int64_t total) {
    opt.Scale(0, KneeLinearFactor(step, total));
    if (!report_ && step >= round_step) round_now(step);
  };
  plan.regularizer = [&]() {
    if (report_) return torch::zeros({});  // after rounding: weights and ranges only
    return TargetRegularizer(expected_cost(), target, s.kappa);
  };
  plan.after_step = [&]() { net->AfterOptimizerStep(); };
  plan.decorate = [&](Progress& p) {
    auto [wb, ab] = ExpectedBits(*net);
    p.expected_weight_bits = wb;
    p.expected_act_bits = ab;
    p.relative_bops_percent = ComputeCosts(g, net->Decide()).relative_bops_percent;
  };
  absl::Status st = RunPhase(*net, opt.adam(), *ctx.train, plan, cursor, ctx.observer,
                             ctx.spec->checkpoint_every, [&](const PhaseCursor& c) {
                               return ctx.save(c, net.get(), &opt.adam());
                             });
  if (!st.ok()) return st;
  if (!report_) round_now(total_steps);  // a search too short to reach round_at
  BitConfig searched = net->Decide();
  net->SetFixed(searched);
  return SearchOutcome{std::move(searched), net, nullptr};
}

std::unique_ptr<SearchMethod> MakeFracBitsSearch() { return std::make_unique<FracBitsSearch>(); }

}  // namespace bitsearch::fracbits
