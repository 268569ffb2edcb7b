#include "search/baseline_spec.h"

#include "absl/strings/str_cat.h"
#include "base/quote.h"
#include "base/status_macros.h"
#include "search/catalog.h"
#include "search/spec_reader.h"

namespace bitsearch {
namespace {

using nlohmann::json;
using spec_internal::NotOneOf;
using spec_internal::ObjectReader;
using spec_internal::OneOf;
using spec_internal::TypeName;

const std::vector<std::string>& BitWidths() {
  static const auto* v = new std::vector<std::string>{"2", "4", "8", "16", "32"};
  return *v;
}

// Reads bits at `key`; absent, `*out` stays unless `required`.
absl::Status ReadBits(ObjectReader& r, const std::string& key, int* out, bool required = true) {
  const json* v = r.Find(key);
  if (!v && !required) return absl::OkStatus();
  if (!v) {
    return absl::InvalidArgumentError(absl::StrCat(r.Path(key), ": required field is missing"));
  }
  if (!v->is_number_integer()) return r.TypeError(key, "an integer", *v);
  const std::string text = std::to_string(v->get<int64_t>());
  if (!OneOf(text, BitWidths())) return NotOneOf(r.Path(key), text, BitWidths());
  *out = static_cast<int>(v->get<int64_t>());
  return absl::OkStatus();
}

absl::Status ReadChoice(ObjectReader& r, const std::string& key,
                        const std::vector<std::string>& allowed, std::string* out) {
  BS_RETURN_IF_ERROR(r.String(key, out));
  if (!OneOf(*out, allowed)) return NotOneOf(r.Path(key), *out, allowed);
  return absl::OkStatus();
}

// "adaround": true | false | {"iterations": N}
absl::Status ReadAdaRound(ObjectReader& r, PtqSpec* p) {
  const json* v = r.Find("adaround");
  if (!v) return absl::OkStatus();
  if (v->is_boolean()) {
    p->adaround = v->get<bool>();
    return absl::OkStatus();
  }
  if (!v->is_object()) return r.TypeError("adaround", "true, false or an object", *v);
  p->adaround = true;
  ObjectReader a(*v, r.Path("adaround"));
  BS_RETURN_IF_ERROR(a.Integer("iterations", &p->adaround_iterations, 1, 1'000'000));
  return a.NoUnknownFields();
}

absl::Status ReadPtqFields(ObjectReader& r, PtqSpec* p) {
  if (const json* range = r.Find("range")) {  // both at once; the specific keys below override
    if (!range->is_string()) return r.TypeError("range", "a string", *range);
    BS_RETURN_IF_ERROR(ReadChoice(r, "range", {"min-max", "mse"}, &p->weight_range));
    p->act_range = p->weight_range;
  }
  BS_RETURN_IF_ERROR(ReadChoice(r, "weight_range", {"min-max", "mse"}, &p->weight_range));
  BS_RETURN_IF_ERROR(
      ReadChoice(r, "act_range", {"min-max", "mse", "percentile"}, &p->act_range));
  BS_RETURN_IF_ERROR(r.Number("percentile", &p->percentile, 50.0, false, 100.0));
  BS_RETURN_IF_ERROR(r.Bool("per_channel", &p->per_channel));
  BS_RETURN_IF_ERROR(r.Bool("cle", &p->cle));
  BS_RETURN_IF_ERROR(ReadChoice(r, "bias_correction", {"none", "empirical", "analytic"},
                                &p->bias_correction));
  BS_RETURN_IF_ERROR(ReadAdaRound(r, p));
  BS_RETURN_IF_ERROR(
      r.Integer("calibration_samples", &p->calibration_samples, 1, spec_internal::kMaxSamples));
  if (p->adaround && p->bias_correction != "none") {
    return absl::InvalidArgumentError(absl::StrCat(
        r.Path("bias_correction"),
        ": AdaRound already fits each layer's output; use it or bias correction, not both"));
  }
  return absl::OkStatus();
}

// Keys that only a post-training entry takes.
const std::vector<std::string>& PtqKeys() {
  static const auto* v = new std::vector<std::string>{
      "range", "weight_range", "act_range", "percentile", "per_channel", "cle",
      "bias_correction", "adaround", "calibration_samples"};
  return *v;
}

absl::StatusOr<BaselineSpec> ParseObject(const json& v, const std::string& path) {
  BaselineSpec b;
  b.from_catalog = false;
  ObjectReader r(v, path);
  BS_RETURN_IF_ERROR(ReadChoice(r, "method", {"ptq", "qat"}, &b.method));
  BS_RETURN_IF_ERROR(ReadBits(r, "weight_bits", &b.weight_bits));
  BS_RETURN_IF_ERROR(ReadBits(r, "act_bits", &b.act_bits));
  if (b.method == "qat") {
    for (const std::string& key : PtqKeys()) {
      if (v.contains(key)) {
        return absl::InvalidArgumentError(absl::StrCat(
            r.Path(key), ": only post-training baselines (\"method\": \"ptq\") take it"));
      }
    }
  } else {
    BS_RETURN_IF_ERROR(ReadPtqFields(r, &b.ptq));
  }
  BS_RETURN_IF_ERROR(r.String("name", &b.name));
  if (v.contains("name")) {
    if (b.name.empty()) return absl::InvalidArgumentError(r.Path("name") + ": must not be empty");
  } else {
    b.name = DefaultBaselineName(b);
  }
  BS_RETURN_IF_ERROR(r.NoUnknownFields());
  return b;
}

json PtqFieldsToJson(const PtqSpec& p) {
  return {{"weight_range", p.weight_range},
          {"act_range", p.act_range},
          {"percentile", p.percentile},
          {"per_channel", p.per_channel},
          {"cle", p.cle},
          {"bias_correction", p.bias_correction},
          {"adaround", p.adaround ? json{{"iterations", p.adaround_iterations}} : json(false)},
          {"calibration_samples", p.calibration_samples}};
}

std::string RangeTag(const std::string& range) { return range == "min-max" ? "minmax" : range; }

}  // namespace

std::string DefaultBaselineName(const BaselineSpec& b) {
  std::string name = absl::StrCat(b.method, "-w", b.weight_bits, "a", b.act_bits);
  if (b.method != "ptq") return name;
  const PtqSpec& p = b.ptq;
  const PtqSpec defaults;
  if (p.weight_range == p.act_range) {
    if (p.weight_range != defaults.weight_range) absl::StrAppend(&name, "-", RangeTag(p.weight_range));
  } else {
    absl::StrAppend(&name, "-w", RangeTag(p.weight_range), "-a", RangeTag(p.act_range));
  }
  if (p.act_range == "percentile" && p.percentile != defaults.percentile) {
    absl::StrAppend(&name, p.percentile);
  }
  if (p.per_channel) absl::StrAppend(&name, "-perchannel");
  if (p.cle) absl::StrAppend(&name, "-cle");
  if (p.bias_correction == "empirical") absl::StrAppend(&name, "-bc");
  if (p.bias_correction == "analytic") absl::StrAppend(&name, "-analyticbc");
  if (p.adaround) {
    absl::StrAppend(&name, "-adaround");
    if (p.adaround_iterations != defaults.adaround_iterations) {
      absl::StrAppend(&name, p.adaround_iterations);
    }
  }
  if (p.calibration_samples != defaults.calibration_samples) {
    absl::StrAppend(&name, "-cal", p.calibration_samples);
  }
  return name;
}

absl::StatusOr<PtqJobSpec> ParsePtqBlock(const json& v, const std::string& path) {
  if (!v.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected an object, got ", TypeName(v)));
  }
  PtqJobSpec p;
  ObjectReader r(v, path);
  BS_RETURN_IF_ERROR(ReadBits(r, "weight_bits", &p.weight_bits, /*required=*/false));
  BS_RETURN_IF_ERROR(ReadBits(r, "act_bits", &p.act_bits, /*required=*/false));
  BS_RETURN_IF_ERROR(ReadPtqFields(r, &p.steps));
  BS_RETURN_IF_ERROR(r.NoUnknownFields());
  return p;
}

json PtqBlockToJson(const PtqJobSpec& p) {
  json o = PtqFieldsToJson(p.steps);
  o["weight_bits"] = p.weight_bits;
  o["act_bits"] = p.act_bits;
  return o;
}

absl::StatusOr<std::vector<BaselineSpec>> ParseBaselines(const json& v, const std::string& path) {
  if (!v.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected an array, got ", TypeName(v)));
  }
  std::vector<BaselineSpec> out;
  std::vector<std::string> names;
  for (size_t i = 0; i < v.size(); ++i) {
    const json& e = v[i];
    const std::string at = absl::StrCat(path, "[", i, "]");
    BaselineSpec b;
    if (e.is_string()) {
      b.name = e.get<std::string>();
      if (!HasStrategy(StrategyKind::kBaseline, b.name)) {
        return NotOneOf(at, b.name, StrategyNames(StrategyKind::kBaseline));
      }
    } else if (e.is_object()) {
      BS_ASSIGN_OR_RETURN(b, ParseObject(e, at));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": expected a baseline name or an object, got ", TypeName(e)));
    }
    for (size_t k = 0; k < names.size(); ++k) {
      if (names[k] == b.name) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ": ", Quoted(b.name), " is listed twice (also ", path, "[", k,
            "]); an object's \"name\" tells two alike apart"));
      }
    }
    names.push_back(b.name);
    out.push_back(std::move(b));
  }
  return out;
}

json BaselinesToJson(const std::vector<BaselineSpec>& baselines) {
  json out = json::array();
  for (const BaselineSpec& b : baselines) {
    if (b.from_catalog) {
      out.push_back(b.name);
      continue;
    }
    json o = {{"name", b.name}, {"method", b.method}, {"weight_bits", b.weight_bits},
              {"act_bits", b.act_bits}};
    if (b.method == "ptq") o.update(PtqFieldsToJson(b.ptq));
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace bitsearch
