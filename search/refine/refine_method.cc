#include "search/refine/refine_method.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "search/hardware.h"

namespace bitsearch {
namespace {

using nlohmann::json;

class FreeBitsRefinement : public RefineMethod {
 public:
  absl::StatusOr<RefineOutcome> Refine(const RefineContext& ctx) override {
    const JobSpec& spec = *ctx.spec;
    std::vector<int> candidates;
    for (int b : {2, 4, 8, 16, 32}) {
      if (b <= std::max(8, spec.search.max_bits)) candidates.push_back(b);
    }
    refine::RefineProblem problem = MakeRefineProblem(*ctx.graph, *ctx.searched, candidates);
    refine::RefineOptions options;
    options.latency_budget = spec.refine.latency_budget;
    options.max_accuracy_drop = spec.refine.max_accuracy_drop;
    refine::EvalFn eval;  // none without validation data: the freebie pass needs none
    if (ctx.evaluate) {
      eval = [&](const refine::BitConfig& rc) {
        return ctx.evaluate(FromRefineConfig(*ctx.graph, *ctx.searched, rc));
      };
    }
    auto result = refine::RefineFreeBits(problem, *ctx.latency, options, eval);
    if (!result.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("refine: ", result.status().message()));
    }
    RefineOutcome out;
    out.config = FromRefineConfig(*ctx.graph, *ctx.searched, result->config);
    RefineReport& r = out.report;
    r.method = spec.refine.method;
    r.applied = true;
    r.profile = ctx.latency->name();
    r.latency_before = result->latency_before;
    r.latency_after = result->latency_after;
    r.steps = result->steps;
    r.feasible = result->feasible;
    r.latency_budget = spec.refine.latency_budget;
    r.evaluations = result->evaluations;
    r.summary = result->summary;
    r.moves = result->moves;
    if (!result->feasible && ctx.log) {
      ctx.log(absl::StrCat(
          "refine: the latency budget is infeasible within max_accuracy_drop; best point: ",
          result->summary));
    }
    return out;
  }
};

class NoRefinement : public RefineMethod {
 public:
  absl::StatusOr<RefineOutcome> Refine(const RefineContext& ctx) override {
    RefineOutcome out;
    out.config = *ctx.searched;
    out.report.method = ctx.spec->refine.method;
    out.report.applied = false;
    return out;
  }
};

}  // namespace

std::unique_ptr<RefineMethod> MakeFreeBitsRefinement() { return std::make_unique<FreeBitsRefinement>(); }
std::unique_ptr<RefineMethod> MakeNoRefinement() { return std::make_unique<NoRefinement>(); }

json RefineReport::ToJson() const {
  if (!applied) return {{"method", method}, {"applied", false}};
  json moves_json = json::array();
  for (const auto& m : moves) {
    moves_json.push_back({{"phase", m.phase}, {"what", m.what}, {"target", m.target},
                          {"from_bits", m.from_bits}, {"to_bits", m.to_bits},
                          {"total_latency_after", m.total_latency_after}});
  }
  return {{"method", method},
          {"applied", true},
          {"profile", profile},
          {"latency_before", latency_before},
          {"latency_after", latency_after},
          {"steps", steps},
          {"feasible", feasible},
          {"latency_budget", latency_budget ? json(*latency_budget) : json()},
          {"evaluations", evaluations},
          {"summary", summary},
          {"moves", moves_json}};
}

absl::StatusOr<RefineReport> RefineReport::FromJson(const json& j) {
  RefineReport r;
  try {
    r.method = j.at("method").get<std::string>();
    r.applied = j.at("applied").get<bool>();
    if (!r.applied) return r;
    r.profile = j.at("profile").get<std::string>();
    r.latency_before = j.at("latency_before").get<double>();
    r.latency_after = j.at("latency_after").get<double>();
    r.steps = j.at("steps").get<int>();
    r.feasible = j.at("feasible").get<bool>();
    if (!j.at("latency_budget").is_null()) r.latency_budget = j.at("latency_budget").get<double>();
    r.evaluations = j.at("evaluations").get<int>();
    r.summary = j.at("summary").get<std::string>();
    for (const json& m : j.at("moves")) {
      refine::RefineMove move;
      move.phase = m.at("phase").get<std::string>();
      move.what = m.at("what").get<std::string>();
      move.target = m.at("target").get<std::string>();
      move.from_bits = m.at("from_bits").get<int>();
      move.to_bits = m.at("to_bits").get<int>();
      move.total_latency_after = m.at("total_latency_after").get<double>();
      r.moves.push_back(std::move(move));
    }
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("refine report: ", e.what()));
  }
  return r;
}

}  // namespace bitsearch
