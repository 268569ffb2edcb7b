// The "search" block and the top-level "compare_methods" of a job spec (spec.cc reads the rest).
#include "search/spec_search.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "search/catalog.h"

namespace bitsearch::spec_internal {

using nlohmann::json;

// `v` must name a catalog entry of `kind`.
absl::Status CheckStrategy(const std::string& path, StrategyKind kind, const std::string& v) {
  if (HasStrategy(kind, v)) return absl::OkStatus();
  return NotOneOf(path, v, StrategyNames(kind));
}


namespace {

// FracBits' fields of the "search" block. Each must come with method "fracbits" (or with
// "fracbits" among compare_methods); the target has exactly one of its two keys.
absl::Status ParseFracBitsFields(ObjectReader& r, SearchSpec* s, bool compared) {
  const bool fracbits = s->method == "fracbits" || compared;
  for (const char* key : {"target", "kappa", "round_at", "per_channel", "keep_first_last_8bit",
                          "bits_lr"}) {
    if (!fracbits && r.Find(key) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          r.Path(key), ": only search.method \"fracbits\" takes it (method is \"", s->method,
          "\", and compare_methods does not name fracbits)"));
    }
  }
  if (!fracbits) return absl::OkStatus();
  BS_RETURN_IF_ERROR(ReadBlock(r, "target", [&](ObjectReader& t) -> absl::Status {
    SearchSpec::Target target;
    if (t.Find("relative_bops_percent") != nullptr) {
      double v = 0;
      BS_RETURN_IF_ERROR(t.Number("relative_bops_percent", &v, 0.0, true, 100.0,
                                  "a percentage of the 32-bit network's BOPs"));
      target.relative_bops_percent = v;
    }
    if (t.Find("latency") != nullptr) {
      double v = 0;
      BS_RETURN_IF_ERROR(t.Number("latency", &v, 0.0, true));
      target.latency = v;
    }
    BS_RETURN_IF_ERROR(t.NoUnknownFields());  // a misspelt key before "exactly one"
    if (target.relative_bops_percent.has_value() == target.latency.has_value()) {
      return absl::InvalidArgumentError(
          "search.target: needs exactly one of \"relative_bops_percent\" and \"latency\"");
    }
    s->target = target;
    return absl::OkStatus();
  }));
  BS_RETURN_IF_ERROR(r.Number("kappa", &s->kappa, 0.0, false, 1e6));
  BS_RETURN_IF_ERROR(r.Number("round_at", &s->round_at, 0.0, true, 1.0,
                              "a share of the search's steps"));
  BS_RETURN_IF_ERROR(r.Bool("per_channel", &s->per_channel));
  BS_RETURN_IF_ERROR(r.Bool("keep_first_last_8bit", &s->keep_first_last_8bit));
  return r.Number("bits_lr", &s->bits_lr, 0.0, false, kMaxLr);
}

// The top-level "compare_methods": two or more distinct search methods, the job's own among them.
absl::Status ParseCompareMethods(ObjectReader& root, std::vector<std::string>* out) {
  const json* list = root.Find("compare_methods");
  if (list == nullptr || list->is_null()) return absl::OkStatus();
  if (!list->is_array()) return root.TypeError("compare_methods", "an array of method names", *list);
  std::vector<std::string> names;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = absl::StrCat("compare_methods[", i, "]");
    const json& v = (*list)[i];
    if (!v.is_string()) return root.TypeError(path, "a search method's name", v);
    const std::string name = v.get<std::string>();
    BS_RETURN_IF_ERROR(CheckStrategy(path, StrategyKind::kSearchMethod, name));
    if (name == "none") {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": \"none\" searches nothing; compare post-training quantization through "
                "\"baselines\" instead"));
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": \"", name, "\" is named twice"));
    }
    names.push_back(name);
  }
  if (names.size() < 2) {
    return absl::InvalidArgumentError(
        "compare_methods: name two or more search methods (the job's own among them)");
  }
  *out = std::move(names);
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseSearch(ObjectReader& root, SearchSpec* s,
                         std::vector<std::string>* compare_methods) {
  BS_RETURN_IF_ERROR(ParseCompareMethods(root, compare_methods));
  const bool fracbits_compared =
      std::find(compare_methods->begin(), compare_methods->end(), "fracbits") !=
      compare_methods->end();
  BS_RETURN_IF_ERROR(ReadBlock(root, "search", [&](ObjectReader& r) -> absl::Status {
    BS_RETURN_IF_ERROR(r.String("method", &s->method));
    BS_RETURN_IF_ERROR(r.Integer("epochs", &s->epochs, 0, kMaxEpochs));
    BS_RETURN_IF_ERROR(r.Number("mu", &s->mu, 0.0, false, kMaxMu,
                                "the prior's strength; useful values lie within 0.001..10"));
    BS_RETURN_IF_ERROR(r.String("regularizer", &s->regularizer));
    BS_RETURN_IF_ERROR(r.Integer("max_bits", &s->max_bits, 0));
    BS_RETURN_IF_ERROR(r.Bool("prune", &s->prune));
    BS_RETURN_IF_ERROR(r.Integer("batch_size", &s->batch_size, 1, kMaxBatch));
    BS_RETURN_IF_ERROR(r.Number("lr", &s->lr, 0.0, true, kMaxLr));
    if (const json* lr = r.Find("gate_lr"); lr && !lr->is_null()) {
      double rate = 0;
      BS_RETURN_IF_ERROR(r.Number("gate_lr", &rate, 0.0, true, kMaxLr));
      s->gate_lr = rate;
    }
    BS_RETURN_IF_ERROR(r.Number("gate_travel", &s->gate_travel, 0.0, true, 1.0,
                                "it is a share of the search steps"));
    BS_RETURN_IF_ERROR(r.Number("gate_init", &s->gate_init, -1e9, false));
    BS_RETURN_IF_ERROR(r.Number("range_lr", &s->range_lr, 0.0, true, kMaxLr));
    BS_RETURN_IF_ERROR(r.Integer("seed", &s->seed, 0));
    return ParseFracBitsFields(r, s, fracbits_compared);
  }));
  // Without a "search" block these check the defaults, which pass.
  BS_RETURN_IF_ERROR(CheckStrategy("search.method", StrategyKind::kSearchMethod, s->method));
  BS_RETURN_IF_ERROR(CheckStrategy("search.regularizer", StrategyKind::kPrior, s->regularizer));
  if (s->max_bits != 2 && s->max_bits != 4 && s->max_bits != 8 && s->max_bits != 16 &&
      s->max_bits != 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search.max_bits: must be one of 2, 4, 8, 16, 32, got ", s->max_bits));
  }
  if (s->gate_init < -10 || s->gate_init > 10) {
    return absl::InvalidArgumentError("search.gate_init: must be within [-10, 10]");
  }
  if (!compare_methods->empty() &&
      std::find(compare_methods->begin(), compare_methods->end(), s->method) ==
          compare_methods->end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "compare_methods: must name the job's own search.method \"", s->method, "\""));
  }
  if (s->method == "fracbits" || fracbits_compared) {
    // Compared beside another method, FracBits may take its target from that method's result.
    if (!s->target && s->method == "fracbits") {
      return absl::InvalidArgumentError(
          "search.target: search.method \"fracbits\" needs a target: {\"relative_bops_percent\": "
          "X} or {\"latency\": Y}");
    }
    if (s->max_bits > 16) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search.max_bits: fracbits blends the widths 2, 4, 8, 16; got ", s->max_bits));
    }
  }
  return absl::OkStatus();
}


}  // namespace bitsearch::spec_internal
