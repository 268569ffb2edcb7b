// Budget mode (our extension of Free Bits, arXiv:2307.02894): when the freebie result still misses
// the job's latency budget, lower precision one (tensor, step) at a time, ranked
// by validation-loss increase per unit of latency saved, until the budget is met or accuracy
// would fall more than max_accuracy_drop below the starting point.
//
// Ranking needs the loss increase of every possible step, which costs one evaluation each. We
// measure every step once, then keep the measurements as estimates (lazy greedy): the best-ranked
// step is re-measured against the current configuration before it is taken, and taken only if it
// still ranks first. Latency savings are cheap and always recomputed. So a step costs about one
// evaluation instead of one per candidate, and the evaluation that accepts a step is the
// re-measurement of the configuration the step produces. A step that would break the accuracy
// floor is dropped for good: later steps only lower precision further, so it would not recover.
#include <cmath>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "search/refine/refine_state.h"

namespace bitsearch::refine::internal {
namespace {

struct Candidate {
  bool is_act = false;   // act tensor step, else weight step
  int index = 0;         // tensor or layer index
  double loss_delta = 0.0;
  int measured_at = -1;  // config version of loss_delta; -1 = never measured
  EvalPoint point;       // the measurement behind loss_delta
  bool dead = false;     // would break the accuracy limit, or nothing lower to go to
};

int CurrentBits(const RefineState& s, const Candidate& c) {
  return c.is_act ? s.act_bits_[c.index] : s.weight_bits_[c.index];
}

// What taking a candidate now would change. An activation step may carry consumers' weights
// down one step too, where that consumer is faster with both lowered: kernels pair operand
// widths (an a4/w8 layer can be slower than a8/w8 on SIMD cores), so without this the greedy
// search could stall one step short of a faster (4, 4).
struct Step {
  int from = 0;
  int to = 0;                                   // 0 = nothing lower to go to
  struct Carried {
    int layer, from, to;
  };
  std::vector<Carried> weights;                 // consumers' weights carried down with an act step
  double saving = 0.0;                          // latency saved; <= 0 = not worth taking
};

Step Plan(RefineState& s, const Candidate& c) {
  Step step;
  step.from = CurrentBits(s, c);
  step.to = s.NextLowerCandidate(step.from);
  if (step.to == 0) return step;
  double before = 0.0, after = 0.0;
  if (c.is_act) {
    for (int l : s.consumers(c.index)) {
      const int w = s.weight_bits_[l];
      const double old_lat = s.LayerLatency(l, step.from, w);
      double new_lat = s.LayerLatency(l, step.to, w);
      const int lower_w = s.NextLowerCandidate(w);
      if (lower_w != 0) {
        const double both = s.LayerLatency(l, step.to, lower_w);
        if (StrictlyLower(both, new_lat)) {
          new_lat = both;
          step.weights.push_back({l, w, lower_w});
        }
      }
      before += old_lat;
      after += new_lat;
    }
  } else {
    const int a = s.act_bits_[s.tensor_of(c.index)];
    before = s.LayerLatency(c.index, a, step.from);
    after = s.LayerLatency(c.index, a, step.to);
  }
  step.saving = std::isinf(after) ? 0.0 : before - after;
  return step;
}

// Applies (forward) or reverts (!forward) a planned step.
void Apply(RefineState& s, const Candidate& c, const Step& step, bool forward) {
  (c.is_act ? s.act_bits_[c.index] : s.weight_bits_[c.index]) = forward ? step.to : step.from;
  for (const Step::Carried& w : step.weights) s.weight_bits_[w.layer] = forward ? w.to : w.from;
}

}  // namespace

absl::Status RunBudgetMode(RefineState& s, const RefineOptions& options, const EvalFn& eval,
                           RefineResult& result) {
  const double budget = *options.latency_budget;
  if (!eval) {
    return absl::FailedPreconditionError(
        "latency budget set and unmet after the freebie pass, but no evaluation callback was "
        "given to re-measure accuracy");
  }
  auto measure = [&](const BitConfig& config) -> absl::StatusOr<EvalPoint> {
    ++result.evaluations;
    absl::StatusOr<EvalPoint> p = eval(config);
    if (!p.ok()) {
      return absl::Status(p.status().code(),
                          absl::StrCat("evaluation callback: ", p.status().message()));
    }
    return p;
  };
  absl::StatusOr<EvalPoint> start = measure(s.Config());
  if (!start.ok()) return start.status();
  result.start_point = *start;
  EvalPoint current = *start;
  const double min_accuracy = start->accuracy - options.max_accuracy_drop;

  std::vector<Candidate> cands;
  for (int t = 0; t < s.num_tensors(); ++t) {
    if (!s.frozen(t) && !s.consumers(t).empty()) {
      Candidate c;
      c.is_act = true;
      c.index = t;
      cands.push_back(c);
    }
  }
  for (int l = 0; l < s.num_layers(); ++l) {
    if (!s.LayerActive(l)) continue;
    Candidate c;
    c.index = l;
    cands.push_back(c);
  }

  int version = 0;
  double total = s.TotalLatency();
  while (total > budget) {
    if (result.evaluations >= options.max_evaluations) break;
    // Rank: never-measured steps first (every step gets measured once), then by loss increase
    // per unit saved, ties to the bigger saving.
    int best = -1;
    Step best_step;
    double best_rank = 0.0;
    for (size_t i = 0; i < cands.size(); ++i) {
      Candidate& c = cands[i];
      if (c.dead) continue;
      Step step = Plan(s, c);
      if (step.to == 0) {
        c.dead = true;
        continue;
      }
      if (!(step.saving > 0.0)) continue;
      const double rank = c.measured_at < 0 ? -std::numeric_limits<double>::infinity()
                                            : c.loss_delta / step.saving;
      if (best < 0 || rank < best_rank || (rank == best_rank && step.saving > best_step.saving)) {
        best = static_cast<int>(i);
        best_rank = rank;
        best_step = std::move(step);
      }
    }
    if (best < 0) break;  // nothing left that saves latency
    Candidate& c = cands[best];
    if (c.measured_at != version) {
      Apply(s, c, best_step, true);
      absl::StatusOr<EvalPoint> p = measure(s.Config());
      Apply(s, c, best_step, false);
      if (!p.ok()) return p.status();
      c.point = *p;
      c.loss_delta = p->loss - current.loss;
      c.measured_at = version;
      if (p->accuracy < min_accuracy) c.dead = true;  // this step would break the limit now
      continue;  // re-rank with the fresh measurement
    }
    // Fresh and still ranked first: take it.
    Apply(s, c, best_step, true);
    ++version;
    current = c.point;
    total = s.TotalLatency();
    const std::string target =
        c.is_act ? s.problem().act_tensors[c.index].id : s.problem().layers[c.index].name;
    result.moves.push_back(RefineMove{"budget", c.is_act ? "act" : "weight", target,
                                      best_step.from, best_step.to, total, c.point});
    for (const Step::Carried& w : best_step.weights) {
      result.moves.push_back(RefineMove{"budget", "weight", s.problem().layers[w.layer].name,
                                        w.from, w.to, total, c.point});
    }
    c.measured_at = -1;  // its next step down has not been measured
    // Lowering one width can make raising another one free again; take such freebies (they
    // never add latency) and re-measure if anything moved.
    if (options.freebie) {
      bool moved = false;
      for (int round = 0; round < options.max_rounds && FreebiePass(s, result.moves); ++round) {
        moved = true;
      }
      if (moved) {
        ++version;
        total = s.TotalLatency();
        absl::StatusOr<EvalPoint> p = measure(s.Config());
        if (!p.ok()) return p.status();
        current = *p;
      }
    }
  }
  result.final_point = current;
  result.feasible = total <= budget;
  result.summary = absl::StrFormat(
      "budget %g %s; %d evaluations; accuracy %.4g -> %.4g (floor %.4g)", budget,
      result.feasible ? "met" : "infeasible (missed; best point found is reported)",
      result.evaluations, start->accuracy, current.accuracy, min_accuracy);
  return absl::OkStatus();
}

}  // namespace bitsearch::refine::internal
