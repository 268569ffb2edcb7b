#include "search/spec.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json_text.h"
#include "base/quote.h"
#include "base/status_macros.h"
#include "search/spec_reader.h"
#include "search/spec_search.h"
#include "search/catalog.h"

namespace bitsearch {
namespace {

using nlohmann::json;

using spec_internal::CheckStrategy;
using spec_internal::NotOneOf;
using spec_internal::ParseSearch;
using spec_internal::ObjectReader;
using spec_internal::ReadBlock;
using spec_internal::SubObject;
using spec_internal::TypeName;
using spec_internal::kMaxBatch;
using spec_internal::kMaxEpochs;
using spec_internal::kMaxLr;
using spec_internal::kMaxMu;
using spec_internal::kMaxSamples;
using spec_internal::kMaxWidth;


absl::Status ParseModel(ObjectReader& root, ModelSpec* m) {
  const json* obj = root.Find("model");
  if (!obj) return absl::InvalidArgumentError("model: required field is missing");
  if (obj->is_string()) {  // shorthand: "model": "lenet5"
    m->zoo = obj->get<std::string>();
  } else if (obj->is_object()) {
    ObjectReader r(*obj, "model");
    BS_RETURN_IF_ERROR(r.String("zoo", &m->zoo));
    BS_RETURN_IF_ERROR(r.String("onnx", &m->onnx));
    BS_RETURN_IF_ERROR(r.Number("width", &m->width, 0.0, true, kMaxWidth,
                                "a channel-width multiplier of the zoo model"));
    BS_RETURN_IF_ERROR(r.NoUnknownFields());
  } else {
    return root.TypeError("model", "an object", *obj);
  }
  if (m->zoo.empty() == m->onnx.empty()) {
    return absl::InvalidArgumentError("model: give exactly one of \"zoo\" or \"onnx\"");
  }
  if (!m->zoo.empty()) return CheckStrategy("model.zoo", StrategyKind::kZooModel, m->zoo);
  return absl::OkStatus();
}

// The "ptq" block and what a PTQ-only job (search.method "none") needs of the rest: no
// refinement or fine-tune (they would change the bits and weights PTQ chose) and one range per
// tensor (an exported model carries one grid per tensor).
absl::Status ParsePostTrainingOnly(ObjectReader& root, JobSpec& spec) {
  const json* block = root.Find("ptq");
  const bool ptq_only = spec.search.method == "none";
  if (block && !ptq_only && block->is_object()) {
    // Before a search the block is a warm start: cross-layer equalization of the float model.
    for (const auto& [key, value] : block->items()) {
      if (key == "cle" || key == "calibration_samples") continue;
      return absl::InvalidArgumentError(absl::StrCat(
          "ptq.", key, ": before a search the \"ptq\" block takes only \"cle\" (and "
          "\"calibration_samples\"): the search chooses bits and ranges; a post-training job "
          "(search.method \"none\") or \"baselines\" objects take the other settings"));
    }
  }
  if (block) {
    BS_ASSIGN_OR_RETURN(spec.ptq, ParsePtqBlock(*block));
  }
  if (!ptq_only) return absl::OkStatus();
  if (spec.refine.method != "none") {
    return absl::InvalidArgumentError(
        "refine.method: search.method \"none\" keeps the bits of the \"ptq\" block; set "
        "refine.method to \"none\"");
  }
  if (spec.finetune.rounds()) {
    return absl::InvalidArgumentError(
        "finetune.method: search.method \"none\" rounds in its \"ptq\" block "
        "(\"adaround\": true there); leave finetune.method at \"qat\" with 0 epochs");
  }
  if (spec.finetune.epochs != 0) {
    return absl::InvalidArgumentError(
        "finetune.epochs: search.method \"none\" quantizes after training, without training; "
        "set finetune.epochs to 0");
  }
  if (spec.ptq.steps.per_channel) {
    return absl::InvalidArgumentError(
        "ptq.per_channel: an exported model carries one grid per weight tensor; per-channel "
        "ranges are for \"baselines\" objects");
  }
  return absl::OkStatus();
}

absl::Status ParseRefine(ObjectReader& root, RefineSpec* f) {
  BS_RETURN_IF_ERROR(ReadBlock(root, "refine", [&](ObjectReader& r) -> absl::Status {
    BS_RETURN_IF_ERROR(r.String("method", &f->method));
    if (const json* b = r.Find("latency_budget")) {
      if (!b->is_null()) {
        if (!b->is_number() || b->get<double>() <= 0 || !std::isfinite(b->get<double>()) ||
            b->get<double>() > 1e30) {
          return absl::InvalidArgumentError(
              "refine.latency_budget: expected null or a positive number");
        }
        f->latency_budget = b->get<double>();
      }
    }
    BS_RETURN_IF_ERROR(r.Number("max_accuracy_drop", &f->max_accuracy_drop, 0.0, false, 100.0,
                                "percentage points of top-1 accuracy"));
    return r.Bool("fallback_nearest", &f->fallback_nearest);
  }));
  // Without a "refine" block this checks the default, which passes.
  return CheckStrategy("refine.method", StrategyKind::kRefineMethod, f->method);
}

// The "pretrain" block; "grad_l1" needs a strength and must start within the epochs it has.
absl::Status ParsePretrain(ObjectReader& root, PretrainSpec* p) {
  return ReadBlock(root, "pretrain", [&](ObjectReader& r) -> absl::Status {
    BS_RETURN_IF_ERROR(r.Integer("epochs", &p->epochs, 0, kMaxEpochs));
    BS_RETURN_IF_ERROR(r.Number("lr", &p->lr, 0.0, true, kMaxLr));
    BS_RETURN_IF_ERROR(r.Integer("batch_size", &p->batch_size, 1, kMaxBatch));
    return ReadBlock(r, "grad_l1", [&](ObjectReader& g) -> absl::Status {
      PretrainSpec::GradL1 l1;
      BS_RETURN_IF_ERROR(g.Number("lambda_w", &l1.lambda_w, 0.0, false, 1e6));
      BS_RETURN_IF_ERROR(g.Number("lambda_a", &l1.lambda_a, 0.0, false, 1e6));
      BS_RETURN_IF_ERROR(g.Integer("start_epoch", &l1.start_epoch, 0, kMaxEpochs));
      BS_RETURN_IF_ERROR(g.NoUnknownFields());  // a misspelt strength before "both 0"
      if (l1.lambda_w == 0 && l1.lambda_a == 0) {
        return absl::InvalidArgumentError(
            "pretrain.grad_l1: lambda_w and lambda_a are both 0, which is plain training; give "
            "one a strength (lambda_a 0.01 with lambda_w 0 trains LeNet-5; the weight term sums over "
            "every weight and costs about ten float steps) or drop the block");
      }
      if (l1.start_epoch >= p->epochs) {
        return absl::InvalidArgumentError(absl::StrCat(
            "pretrain.grad_l1.start_epoch: ", l1.start_epoch, " leaves no gradient-L1 epoch of ",
            "pretrain.epochs ", p->epochs, " (epochs count from 0)"));
      }
      p->grad_l1 = l1;
      return absl::OkStatus();
    });
  });
}

// The "finetune" block. "adaround" trains nothing, so its epochs default to 0 and may not be set
// otherwise; "adaround+qat" needs epochs to train; the AdaRound fields are refused where nothing
// rounds, so a typo in the method never silently drops them.
absl::Status ParseFinetune(ObjectReader& root, FinetuneSpec* f) {
  bool epochs_given = false;
  std::string rounding_field;  // the first AdaRound field the block sets, for the error
  BS_RETURN_IF_ERROR(ReadBlock(root, "finetune", [&](ObjectReader& r) -> absl::Status {
    BS_RETURN_IF_ERROR(r.String("method", &f->method));
    BS_RETURN_IF_ERROR(CheckStrategy("finetune.method", StrategyKind::kFinetuneMethod, f->method));
    epochs_given = r.Find("epochs") != nullptr;
    BS_RETURN_IF_ERROR(r.Integer("epochs", &f->epochs, 0, kMaxEpochs));
    BS_RETURN_IF_ERROR(r.Number("lr", &f->lr, 0.0, true, kMaxLr));
    if (const json* a = r.Find("adaround")) {
      rounding_field = "adaround";
      if (!a->is_object()) return r.TypeError("adaround", "an object {\"iterations\": N}", *a);
      ObjectReader ar(*a, r.Path("adaround"));
      BS_RETURN_IF_ERROR(ar.Integer("iterations", &f->adaround_iterations, 1, 1'000'000));
      BS_RETURN_IF_ERROR(ar.NoUnknownFields());
    }
    if (rounding_field.empty() && r.Find("calibration_samples")) {
      rounding_field = "calibration_samples";
    }
    return r.Integer("calibration_samples", &f->calibration_samples, 1, kMaxSamples);
  }));
  if (f->method == "qat" && !rounding_field.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "finetune.", rounding_field, ": only read with finetune.method \"adaround\" or "
        "\"adaround+qat\" (the method is \"qat\")"));
  }
  if (f->method == "adaround") {
    if (epochs_given && f->epochs != 0) {
      return absl::InvalidArgumentError(
          "finetune.epochs: method \"adaround\" does not train; use \"adaround+qat\" to "
          "fine-tune after AdaRound, or drop epochs");
    }
    f->epochs = 0;
  }
  if (f->method == "adaround+qat" && f->epochs == 0) {
    return absl::InvalidArgumentError(
        "finetune.epochs: method \"adaround+qat\" fine-tunes after AdaRound and needs at "
        "least 1 epoch (\"adaround\" rounds without training)");
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& CatalogDatasetNames() {
  static const std::vector<std::string> names = {"fashion-mnist", "synthetic"};
  return names;
}

absl::StatusOr<JobSpec> ParseJobSpec(const json& j) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec: expected a JSON object, got ", TypeName(j)));
  }
  JobSpec spec;
  ObjectReader root(j, "");
  BS_RETURN_IF_ERROR(root.Integer("version", &spec.version, 1));
  if (spec.version != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("version: only version 1 is supported, got ", spec.version));
  }
  BS_RETURN_IF_ERROR(root.String("name", &spec.name));
  if (spec.name.empty() || spec.name.size() > 128) {
    return absl::InvalidArgumentError("name: must be 1 to 128 characters");
  }
  BS_RETURN_IF_ERROR(ParseModel(root, &spec.model));
  BS_RETURN_IF_ERROR(spec_internal::ParseDatasetSpec(root, &spec.dataset));
  if (!spec.model.onnx.empty() && !spec.dataset.preprocess.given) {
    return absl::InvalidArgumentError(PreprocessRequiredMessage());
  }
  {
    const json* obj;
    BS_RETURN_IF_ERROR(SubObject(root, "hardware", &obj));
    if (obj) {
      ObjectReader r(*obj, "hardware");
      BS_RETURN_IF_ERROR(r.String("profile", &spec.hardware.profile));
      BS_RETURN_IF_ERROR(r.NoUnknownFields());
      if (spec.hardware.profile.empty()) {
        return absl::InvalidArgumentError("hardware.profile: must not be empty");
      }
    }
  }
  BS_RETURN_IF_ERROR(ParsePretrain(root, &spec.pretrain));
  BS_RETURN_IF_ERROR(ParseSearch(root, &spec.search, &spec.compare_methods));
  BS_RETURN_IF_ERROR(ParseRefine(root, &spec.refine));
  // Budget mode weighs accuracy on held-out training data; the test split must not decide it.
  if (spec.refine.latency_budget && spec.refine.method != "none" &&
      spec.dataset.validation_fraction <= 0) {
    return absl::InvalidArgumentError(
        "refine.latency_budget: budget mode measures accuracy on the validation split, and "
        "dataset.validation_fraction is 0; give it a share of the training data (0.1 is usual) "
        "or drop the budget");
  }
  BS_RETURN_IF_ERROR(ParseFinetune(root, &spec.finetune));
  BS_RETURN_IF_ERROR(ParsePostTrainingOnly(root, spec));
  if (const json* b = root.Find("baselines")) {
    BS_ASSIGN_OR_RETURN(spec.baselines, ParseBaselines(*b));
  }
  spec.export_options.include_preprocessing = spec.model.onnx.empty();
  BS_RETURN_IF_ERROR(ReadBlock(root, "export", [&](ObjectReader& r) {
    return r.Bool("include_preprocessing", &spec.export_options.include_preprocessing);
  }));
  BS_RETURN_IF_ERROR(root.Integer("checkpoint_every", &spec.checkpoint_every, 0, kMaxSamples));
  if (root.Find("sweep")) {  // search/sweep.h expands it; one job has no such block
    return absl::InvalidArgumentError(
        "sweep: this spec is a sweep (one job per value); submit it to a server with "
        "`bitsearch sweep`, not as one job");
  }
  BS_RETURN_IF_ERROR(root.NoUnknownFields());
  return spec;
}

absl::StatusOr<JobSpec> ParseJobSpecText(const std::string& text) {
  BS_ASSIGN_OR_RETURN(json j, ParseJsonText(text, "spec"));
  return ParseJobSpec(j);
}

absl::StatusOr<JobSpec> LoadJobSpecFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the spec file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto spec = ParseJobSpecText(buffer.str());
  if (!spec.ok()) {
    return absl::Status(spec.status().code(),
                        absl::StrCat(path, ": ", spec.status().message()));
  }
  return spec;
}

namespace {

json FinetuneToJson(const FinetuneSpec& f) {
  json out = {{"method", f.method}, {"epochs", f.epochs}, {"lr", f.lr}};
  if (f.rounds()) {  // read only then (ParseFinetune refuses them with "qat")
    out["adaround"] = {{"iterations", f.adaround_iterations}};
    out["calibration_samples"] = f.calibration_samples;
  }
  return out;
}

}  // namespace

nlohmann::json JobSpecToJson(const JobSpec& s) {
  json model = json::object();
  if (!s.model.zoo.empty()) model["zoo"] = s.model.zoo;
  if (!s.model.onnx.empty()) model["onnx"] = s.model.onnx;
  model["width"] = s.model.width;
  json out = {
      {"version", s.version},
      {"name", s.name},
      {"model", model},
      {"dataset", DatasetSpecToJson(s.dataset)},
      {"hardware", {{"profile", s.hardware.profile}}},
      {"pretrain",
       {{"epochs", s.pretrain.epochs}, {"lr", s.pretrain.lr},
        {"batch_size", s.pretrain.batch_size}}},
      {"search",
       {{"method", s.search.method}, {"epochs", s.search.epochs}, {"mu", s.search.mu},
        {"regularizer", s.search.regularizer},
        {"max_bits", s.search.max_bits}, {"prune", s.search.prune},
        {"batch_size", s.search.batch_size}, {"lr", s.search.lr},
        {"gate_lr", s.search.gate_lr ? json(*s.search.gate_lr) : json()},
        {"gate_travel", s.search.gate_travel}, {"gate_init", s.search.gate_init},
        {"range_lr", s.search.range_lr}, {"seed", s.search.seed}}},
      {"refine",
       {{"method", s.refine.method},
        {"latency_budget", s.refine.latency_budget ? json(*s.refine.latency_budget) : json()},
        {"max_accuracy_drop", s.refine.max_accuracy_drop},
        {"fallback_nearest", s.refine.fallback_nearest}}},
      {"finetune", FinetuneToJson(s.finetune)},
      {"baselines", BaselinesToJson(s.baselines)},
      {"export", {{"include_preprocessing", s.export_options.include_preprocessing}}},
      {"checkpoint_every", s.checkpoint_every},
  };
  // Only when given: the pretrain cache's key holds this block, and plain jobs keep their entries.
  if (s.pretrain.grad_l1) {
    out["pretrain"]["grad_l1"] = {{"lambda_w", s.pretrain.grad_l1->lambda_w},
                                  {"lambda_a", s.pretrain.grad_l1->lambda_a},
                                  {"start_epoch", s.pretrain.grad_l1->start_epoch}};
  }
  if (!s.compare_methods.empty()) out["compare_methods"] = s.compare_methods;
  const bool fracbits = s.search.method == "fracbits" ||
                        std::find(s.compare_methods.begin(), s.compare_methods.end(),
                                  "fracbits") != s.compare_methods.end();
  if (fracbits) {  // read only then (ParseFracBitsFields)
    json& search = out["search"];
    if (s.search.target) {
      const auto& t = *s.search.target;
      search["target"] = t.latency ? json{{"latency", *t.latency}}
                                   : json{{"relative_bops_percent", *t.relative_bops_percent}};
    }
    search["kappa"] = s.search.kappa;
    search["round_at"] = s.search.round_at;
    search["per_channel"] = s.search.per_channel;
    search["keep_first_last_8bit"] = s.search.keep_first_last_8bit;
    search["bits_lr"] = s.search.bits_lr;
  }
  if (s.search.method == "none") {
    out["ptq"] = PtqBlockToJson(s.ptq);
  } else if (s.ptq.steps.cle) {  // the warm start before a search
    out["ptq"] = {{"cle", true}, {"calibration_samples", s.ptq.steps.calibration_samples}};
  }
  return out;
}

}  // namespace bitsearch
