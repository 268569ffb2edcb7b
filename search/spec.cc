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
#include "base/quote.h"
#include "base/status_macros.h"

namespace bitsearch {
namespace {

using nlohmann::json;

// Upper bounds: far beyond any sensible job, low enough that no value inside them overflows or
// makes a layer absurd (a width of 1e300 "succeeded" with 1-channel layers).
constexpr double kMaxWidth = 16;
constexpr double kMaxMu = 1000;
constexpr double kMaxLr = 100;
constexpr int64_t kMaxSamples = 1'000'000'000;
constexpr int64_t kMaxSyntheticSamples = 10'000'000;
constexpr int64_t kMaxSampleValues = 16 << 20;
constexpr int64_t kMaxEpochs = 100'000;
constexpr int64_t kMaxBatch = 65536;

const char* TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::number_float: return "a number";
    default: return "an integer";
  }
}

// Reads the fields of one JSON object, remembering which keys were consumed so that anything
// left over can be reported as an unknown field by its full path.
class ObjectReader {
 public:
  ObjectReader(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  std::string Path(const std::string& key) const {
    return path_.empty() ? key : absl::StrCat(path_, ".", key);
  }

  const json* Find(const std::string& key) {
    seen_.insert(key);
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }

  absl::Status String(const std::string& key, std::string* out) {
    const json* v = Find(key);
    if (!v) return absl::OkStatus();
    if (!v->is_string()) return TypeError(key, "a string", *v);
    *out = v->get<std::string>();
    return absl::OkStatus();
  }

  absl::Status Bool(const std::string& key, bool* out) {
    const json* v = Find(key);
    if (!v) return absl::OkStatus();
    if (!v->is_boolean()) return TypeError(key, "a boolean", *v);
    *out = v->get<bool>();
    return absl::OkStatus();
  }

  // Reads an integer into `*out`, checked against [min_value, max_value] and against what `Int`
  // can hold, so nothing is ever truncated by the cast (4294967295 epochs, 2^32 + 64 batches).
  template <typename Int>
  absl::Status Integer(const std::string& key, Int* out, int64_t min_value,
                       int64_t max_value = std::numeric_limits<int64_t>::max()) {
    const json* v = Find(key);
    if (!v) return absl::OkStatus();
    max_value = std::min<int64_t>(
        max_value, static_cast<int64_t>(std::min<uint64_t>(std::numeric_limits<Int>::max(),
                                                           std::numeric_limits<int64_t>::max())));
    auto out_of_range = [&](bool too_small) {
      return absl::InvalidArgumentError(absl::StrCat(
          Path(key), too_small ? ": must be at least " : ": must be at most ",
          too_small ? min_value : max_value, ", got ", v->dump()));
    };
    int64_t value;
    if (v->is_number_unsigned()) {
      if (v->get<uint64_t>() > static_cast<uint64_t>(max_value)) return out_of_range(false);
      value = static_cast<int64_t>(v->get<uint64_t>());
    } else if (v->is_number_integer()) {
      value = v->get<int64_t>();
    } else if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>()) {
      // Compared as doubles first: casting 1e308 to int64 is undefined.
      double d = v->get<double>();
      if (d < static_cast<double>(min_value)) return out_of_range(true);
      if (d > static_cast<double>(max_value)) return out_of_range(false);
      value = static_cast<int64_t>(d);
    } else {
      return TypeError(key, "an integer", *v);
    }
    if (value < min_value) return out_of_range(true);
    if (value > max_value) return out_of_range(false);
    *out = static_cast<Int>(value);
    return absl::OkStatus();
  }

  // Reads a finite number into `*out`, checked against [min_value, max_value] (min_value
  // excluded when `exclusive`); `why` explains the upper bound in its error.
  absl::Status Number(const std::string& key, double* out, double min_value, bool exclusive,
                      double max_value = std::numeric_limits<double>::max(),
                      const char* why = "") {
    const json* v = Find(key);
    if (!v) return absl::OkStatus();
    if (!v->is_number()) return TypeError(key, "a number", *v);
    double value = v->get<double>();
    if (!std::isfinite(value) || value < min_value || (exclusive && value == min_value)) {
      return absl::InvalidArgumentError(absl::StrCat(Path(key), ": must be ",
                                                     exclusive ? "greater than " : "at least ",
                                                     min_value, ", got ", v->dump()));
    }
    if (value > max_value) {
      return absl::InvalidArgumentError(absl::StrCat(Path(key), ": must be at most ", max_value,
                                                     *why ? " (" : "", why, *why ? ")" : "",
                                                     ", got ", v->dump()));
    }
    *out = value;
    return absl::OkStatus();
  }

  // Any key not read so far is a typo or a field from a newer version: refuse it by name.
  absl::Status NoUnknownFields() const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (!seen_.count(it.key())) {
        // A long or odd key is shown as a quoted prefix, never whole.
        const std::string& k = it.key();
        bool plain = k.size() <= 40 && std::all_of(k.begin(), k.end(), [](char c) {
                       return c > 0x20 && c < 0x7f;
                     });
        return absl::InvalidArgumentError(
            absl::StrCat(Path(plain ? k : Quoted(k, 40)), ": unknown field"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status TypeError(const std::string& key, const char* expected, const json& got) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Path(key), ": expected ", expected, ", got ", TypeName(got)));
  }

 private:
  const json& obj_;
  std::string path_;
  std::set<std::string> seen_;
};

// Opens a sub-object `key` of `parent`; absent is fine (defaults), anything but an object is not.
absl::Status SubObject(ObjectReader& parent, const std::string& key, const json** out) {
  *out = parent.Find(key);
  if (*out && !(*out)->is_object()) return parent.TypeError(key, "an object", **out);
  return absl::OkStatus();
}

bool OneOf(const std::string& v, const std::vector<std::string>& allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

absl::Status NotOneOf(const std::string& path, const std::string& v,
                      const std::vector<std::string>& allowed) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": unknown value ", Quoted(v),
                                                 "; expected one of: ",
                                                 absl::StrJoin(allowed, ", ")));
}

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
  if (!m->zoo.empty() && !OneOf(m->zoo, ZooModelNames())) {
    return NotOneOf("model.zoo", m->zoo, ZooModelNames());
  }
  return absl::OkStatus();
}

absl::Status ParseDataset(ObjectReader& root, DatasetSpec* d) {
  const json* obj;
  BS_RETURN_IF_ERROR(SubObject(root, "dataset", &obj));
  if (!obj) return absl::OkStatus();
  ObjectReader r(*obj, "dataset");
  bool has_name = obj->contains("name");
  BS_RETURN_IF_ERROR(r.String("name", &d->name));
  BS_RETURN_IF_ERROR(r.String("format", &d->format));
  BS_RETURN_IF_ERROR(r.String("path", &d->path));
  BS_RETURN_IF_ERROR(r.Integer("train_limit", &d->train_limit, 0, kMaxSamples));
  BS_RETURN_IF_ERROR(r.Integer("test_limit", &d->test_limit, 0, kMaxSamples));
  BS_RETURN_IF_ERROR(r.Number("validation_fraction", &d->validation_fraction, 0.0, false));
  BS_RETURN_IF_ERROR(r.Integer("synthetic_train", &d->synthetic_train, 1, kMaxSyntheticSamples));
  BS_RETURN_IF_ERROR(r.Integer("synthetic_test", &d->synthetic_test, 1, kMaxSyntheticSamples));
  if (const json* shape = r.Find("input_shape")) {
    if (!shape->is_array() || shape->size() != 3) {
      return absl::InvalidArgumentError("dataset.input_shape: expected [C, H, W]");
    }
    for (const json& v : *shape) {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 4096) {
        return absl::InvalidArgumentError(
            "dataset.input_shape: each of C, H, W must be an integer in 1..4096");
      }
      d->input_shape.push_back(v.get<int64_t>());
    }
    if (d->input_shape[0] * d->input_shape[1] * d->input_shape[2] > kMaxSampleValues) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dataset.input_shape: one sample may hold at most ", kMaxSampleValues,
          " values (C x H x W; 64 MiB as floats), got ",
          d->input_shape[0] * d->input_shape[1] * d->input_shape[2]));
    }
  }
  BS_RETURN_IF_ERROR(r.NoUnknownFields());
  if (d->validation_fraction >= 0.9) {
    return absl::InvalidArgumentError("dataset.validation_fraction: must be below 0.9");
  }
  if (!d->format.empty()) {
    if (has_name) {
      return absl::InvalidArgumentError("dataset: give either \"name\" or \"format\"+\"path\"");
    }
    d->name.clear();
    const std::vector<std::string> formats = {"idx", "cifar10-bin"};
    if (!OneOf(d->format, formats)) return NotOneOf("dataset.format", d->format, formats);
    if (d->path.empty()) {
      return absl::InvalidArgumentError("dataset.path: required with dataset.format");
    }
  } else if (!OneOf(d->name, CatalogDatasetNames())) {
    return NotOneOf("dataset.name", d->name, CatalogDatasetNames());
  } else if (!d->path.empty()) {
    return absl::InvalidArgumentError("dataset.path: only valid with dataset.format");
  }
  return absl::OkStatus();
}

absl::Status ParseSearch(ObjectReader& root, SearchSpec* s) {
  const json* obj;
  BS_RETURN_IF_ERROR(SubObject(root, "search", &obj));
  if (!obj) return absl::OkStatus();
  ObjectReader r(*obj, "search");
  BS_RETURN_IF_ERROR(r.Integer("epochs", &s->epochs, 0, kMaxEpochs));
  BS_RETURN_IF_ERROR(r.Number("mu", &s->mu, 0.0, false, kMaxMu,
                              "the prior's strength; useful values lie within 0.001..10"));
  BS_RETURN_IF_ERROR(r.String("regularizer", &s->regularizer));
  BS_RETURN_IF_ERROR(r.Integer("max_bits", &s->max_bits, 0));
  BS_RETURN_IF_ERROR(r.Bool("prune", &s->prune));
  BS_RETURN_IF_ERROR(r.Integer("batch_size", &s->batch_size, 1, kMaxBatch));
  BS_RETURN_IF_ERROR(r.Number("lr", &s->lr, 0.0, true, kMaxLr));
  BS_RETURN_IF_ERROR(r.Number("gate_lr", &s->gate_lr, 0.0, true, kMaxLr));
  BS_RETURN_IF_ERROR(r.Number("gate_init", &s->gate_init, -1e9, false));
  BS_RETURN_IF_ERROR(r.Number("range_lr", &s->range_lr, 0.0, true, kMaxLr));
  BS_RETURN_IF_ERROR(r.Integer("seed", &s->seed, 0));
  BS_RETURN_IF_ERROR(r.NoUnknownFields());
  const std::vector<std::string> regs = {"bops", "latency"};
  if (!OneOf(s->regularizer, regs)) return NotOneOf("search.regularizer", s->regularizer, regs);
  if (s->max_bits != 2 && s->max_bits != 4 && s->max_bits != 8 && s->max_bits != 16 &&
      s->max_bits != 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search.max_bits: must be one of 2, 4, 8, 16, 32, got ", s->max_bits));
  }
  if (s->gate_init < -10 || s->gate_init > 10) {
    return absl::InvalidArgumentError("search.gate_init: must be within [-10, 10]");
  }
  return absl::OkStatus();
}

absl::Status ParseRefine(ObjectReader& root, RefineSpec* f) {
  const json* obj;
  BS_RETURN_IF_ERROR(SubObject(root, "refine", &obj));
  if (!obj) return absl::OkStatus();
  ObjectReader r(*obj, "refine");
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
  BS_RETURN_IF_ERROR(r.Bool("fallback_nearest", &f->fallback_nearest));
  BS_RETURN_IF_ERROR(r.NoUnknownFields());
  const std::vector<std::string> methods = {"freebits", "none"};
  if (!OneOf(f->method, methods)) return NotOneOf("refine.method", f->method, methods);
  return absl::OkStatus();
}

absl::Status ParseEpochsAndLr(ObjectReader& root, const std::string& key, int* epochs, double* lr,
                              int* batch_size) {
  const json* obj;
  BS_RETURN_IF_ERROR(SubObject(root, key, &obj));
  if (!obj) return absl::OkStatus();
  ObjectReader r(*obj, key);
  BS_RETURN_IF_ERROR(r.Integer("epochs", epochs, 0, kMaxEpochs));
  BS_RETURN_IF_ERROR(r.Number("lr", lr, 0.0, true, kMaxLr));
  if (batch_size) BS_RETURN_IF_ERROR(r.Integer("batch_size", batch_size, 1, kMaxBatch));
  return r.NoUnknownFields();
}

}  // namespace

const std::vector<std::string>& ZooModelNames() {
  static const std::vector<std::string> names = {"lenet5", "vgg7", "resnet8", "mobilenetv2"};
  return names;
}

const std::vector<std::string>& CatalogDatasetNames() {
  static const std::vector<std::string> names = {"fashion-mnist", "synthetic"};
  return names;
}

const std::vector<std::string>& BaselineNames() {
  static const std::vector<std::string> names = {"w8a8", "w4a8", "w4a4", "w2a2"};
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
  BS_RETURN_IF_ERROR(ParseDataset(root, &spec.dataset));
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
  BS_RETURN_IF_ERROR(ParseEpochsAndLr(root, "pretrain", &spec.pretrain.epochs, &spec.pretrain.lr,
                                      &spec.pretrain.batch_size));
  BS_RETURN_IF_ERROR(ParseSearch(root, &spec.search));
  BS_RETURN_IF_ERROR(ParseRefine(root, &spec.refine));
  BS_RETURN_IF_ERROR(
      ParseEpochsAndLr(root, "finetune", &spec.finetune.epochs, &spec.finetune.lr, nullptr));
  if (const json* b = root.Find("baselines")) {
    if (!b->is_array()) return root.TypeError("baselines", "an array", *b);
    for (size_t i = 0; i < b->size(); ++i) {
      const json& v = (*b)[i];
      std::string path = absl::StrCat("baselines[", i, "]");
      if (!v.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": expected a string, got ", TypeName(v)));
      }
      if (!OneOf(v.get<std::string>(), BaselineNames())) {
        return NotOneOf(path, v.get<std::string>(), BaselineNames());
      }
      if (OneOf(v.get<std::string>(), spec.baselines)) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": \"", v.get<std::string>(),
                                                       "\" is listed twice"));
      }
      spec.baselines.push_back(v.get<std::string>());
    }
  }
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
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("spec is not valid JSON: ", e.what()));
  }
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

nlohmann::json JobSpecToJson(const JobSpec& s) {
  json model = json::object();
  if (!s.model.zoo.empty()) model["zoo"] = s.model.zoo;
  if (!s.model.onnx.empty()) model["onnx"] = s.model.onnx;
  model["width"] = s.model.width;
  json dataset = {{"train_limit", s.dataset.train_limit},
                  {"test_limit", s.dataset.test_limit},
                  {"validation_fraction", s.dataset.validation_fraction}};
  if (s.dataset.format.empty()) {
    dataset["name"] = s.dataset.name;
  } else {
    dataset["format"] = s.dataset.format;
    dataset["path"] = s.dataset.path;
  }
  if (s.dataset.name == "synthetic") {
    dataset["synthetic_train"] = s.dataset.synthetic_train;
    dataset["synthetic_test"] = s.dataset.synthetic_test;
    if (!s.dataset.input_shape.empty()) dataset["input_shape"] = s.dataset.input_shape;
  }
  return {
      {"version", s.version},
      {"name", s.name},
      {"model", model},
      {"dataset", dataset},
      {"hardware", {{"profile", s.hardware.profile}}},
      {"pretrain",
       {{"epochs", s.pretrain.epochs}, {"lr", s.pretrain.lr},
        {"batch_size", s.pretrain.batch_size}}},
      {"search",
       {{"epochs", s.search.epochs}, {"mu", s.search.mu}, {"regularizer", s.search.regularizer},
        {"max_bits", s.search.max_bits}, {"prune", s.search.prune},
        {"batch_size", s.search.batch_size}, {"lr", s.search.lr},
        {"gate_lr", s.search.gate_lr}, {"gate_init", s.search.gate_init},
        {"range_lr", s.search.range_lr}, {"seed", s.search.seed}}},
      {"refine",
       {{"method", s.refine.method},
        {"latency_budget", s.refine.latency_budget ? json(*s.refine.latency_budget) : json()},
        {"max_accuracy_drop", s.refine.max_accuracy_drop},
        {"fallback_nearest", s.refine.fallback_nearest}}},
      {"finetune", {{"epochs", s.finetune.epochs}, {"lr", s.finetune.lr}}},
      {"baselines", s.baselines},
      {"checkpoint_every", s.checkpoint_every},
  };
}

}  // namespace bitsearch
