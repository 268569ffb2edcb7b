// Budget mode (ALGORITHMS.md section 5 (b)): lower precision one (tensor, step) at a time, ranked
// by validation-loss increase per unit of latency saved, until the budget is met or accuracy
// would fall more than max_accuracy_drop below the starting point.
//
// Ranking needs the loss increase of every possible step, which costs one evaluation each. We
// measure every step once, then keep the measurements as estimates (lazy greedy): the best-ranked
// step is re-measured against the current configuration before it is taken, and taken only if it
// still ranks first. Latency savings are cheap and always recomputed. So a step costs about one
// evaluation instead of one per candidate, and the evaluation that accepts a step is the
// re-measurement of the configuration the step produces.
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

// Latency saved by taking the step now (<= 0 when it saves nothing, or cannot be priced).
double Saving(RefineState& s, const Candidate& c) {
  const int from = CurrentBits(s, c);
  const int to = s.NextLowerCandidate(from);
  if (to == 0) return 0.0;
  double before, after;
  if (c.is_act) {
    before = s.GroupLatency(c.index, from);
    after = s.GroupLatency(c.index, to);
  } else {
    const int a = s.act_bits_[s.tensor_of(c.index)];
    before = s.LayerLatency(c.index, a, from);
    after = s.LayerLatency(c.index, a, to);
  }
  if (std::isinf(after)) return 0.0;
  return before - after;
}

void Apply(RefineState& s, const Candidate& c, int bits) {
  (c.is_act ? s.act_bits_[c.index] : s.weight_bits_[c.index]) = bits;
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
    double best_rank = 0.0, best_saving = 0.0;
    for (size_t i = 0; i < cands.size(); ++i) {
      Candidate& c = cands[i];
      if (c.dead) continue;
      const double saving = Saving(s, c);
      if (!(saving > 0.0)) continue;
      const double rank = c.measured_at < 0 ? -std::numeric_limits<double>::infinity()
                                            : c.loss_delta / saving;
      if (best < 0 || rank < best_rank || (rank == best_rank && saving > best_saving)) {
        best = static_cast<int>(i);
        best_rank = rank;
        best_saving = saving;
      }
    }
    if (best < 0) break;  // nothing left that saves latency
    Candidate& c = cands[best];
    const int from = CurrentBits(s, c);
    const int to = s.NextLowerCandidate(from);
    if (c.measured_at != version) {
      Apply(s, c, to);
      absl::StatusOr<EvalPoint> p = measure(s.Config());
      Apply(s, c, from);
      if (!p.ok()) return p.status();
      c.point = *p;
      c.loss_delta = p->loss - current.loss;
      c.measured_at = version;
      if (p->accuracy < min_accuracy) c.dead = true;  // this step would break the limit now
      continue;  // re-rank with the fresh measurement
    }
    // Fresh and still ranked first: take it.
    Apply(s, c, to);
    ++version;
    current = c.point;
    total = s.TotalLatency();
    const std::string target =
        c.is_act ? s.problem().act_tensors[c.index].id : s.problem().layers[c.index].name;
    result.moves.push_back(
        RefineMove{"budget", c.is_act ? "act" : "weight", target, from, to, total, c.point});
    c.measured_at = -1;  // its next step down has not been measured
    if (s.NextLowerCandidate(to) == 0) c.dead = true;
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
