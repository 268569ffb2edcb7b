#include "search/report/result_view.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace bitsearch {
namespace {

using nlohmann::json;

// Reads typed fields out of untrusted JSON; every miss is recorded under its dotted path.
// null counts as absent (results use it for "no latency model") and is not a problem.
class Reader {
 public:
  explicit Reader(std::vector<std::string>* problems) : problems_(problems) {}

  // The member `key` of `obj` when present and not null; nullptr otherwise.
  static const json* Member(const json& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  }

  std::optional<double> Number(const json& obj, const char* key, const std::string& path,
                               double lo = -std::numeric_limits<double>::max(),
                               double hi = std::numeric_limits<double>::max()) {
    const json* v = Member(obj, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < lo || v->get<double>() > hi) {
      const bool has_lo = lo > -std::numeric_limits<double>::max();
      const bool has_hi = hi < std::numeric_limits<double>::max();
      return Miss(path,
                  has_lo && has_hi ? absl::StrFormat("a number in %g..%g", lo, hi)
                  : has_lo         ? absl::StrFormat("a number >= %g", lo)
                  : has_hi         ? absl::StrFormat("a number <= %g", hi)
                                   : std::string("a number"),
                  *v);
    }
    return v->get<double>();
  }

  // A whole number in lo..hi (integers stored as 8.0 are accepted; 1e300 is not cast).
  std::optional<int64_t> Integer(const json& obj, const char* key, const std::string& path,
                                 int64_t lo, int64_t hi) {
    const json* v = Member(obj, key);
    if (v == nullptr) return std::nullopt;
    std::string want = absl::StrCat("an integer in ", lo, "..", hi);
    if (v->is_number_unsigned()) {
      uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(hi)) return Miss(path, want, *v);
      return static_cast<int64_t>(u);
    }
    if (v->is_number_integer()) {
      int64_t i = v->get<int64_t>();
      if (i < lo || i > hi) return Miss(path, want, *v);
      return i;
    }
    if (v->is_number_float()) {
      double d = v->get<double>();
      if (std::isfinite(d) && d == std::floor(d) && d >= static_cast<double>(lo) &&
          d <= static_cast<double>(hi)) {
        return static_cast<int64_t>(d);
      }
    }
    return Miss(path, want, *v);
  }

  std::optional<int> Bits(const json& obj, const char* key, const std::string& path) {
    std::optional<int64_t> b = Integer(obj, key, path, 0, 64);
    return b ? std::optional<int>(static_cast<int>(*b)) : std::nullopt;
  }

  std::optional<int64_t> Count(const json& obj, const char* key, const std::string& path) {
    return Integer(obj, key, path, 0, int64_t{1} << 53);
  }

  std::string String(const json& obj, const char* key, const std::string& path) {
    const json* v = Member(obj, key);
    if (v == nullptr) return "";
    if (!v->is_string()) {
      Miss(path, "a string", *v);
      return "";
    }
    return PrintableText(v->get<std::string>());
  }

  // The member when it is an object (or array, with `array`); a problem when it is another type.
  const json* Container(const json& obj, const char* key, const std::string& path, bool array) {
    const json* v = Member(obj, key);
    if (v == nullptr) return nullptr;
    if (array ? !v->is_array() : !v->is_object()) {
      Miss(path, array ? "an array" : "an object", *v);
      return nullptr;
    }
    return v;
  }

  void Note(std::string problem) { problems_->push_back(std::move(problem)); }

  // Calls fn(entry, "key[i]") for each object in the array `key` (at most kMaxViewEntries);
  // entries of another type are problems.
  template <typename Fn>
  void ForEachObject(const json& obj, const char* key, Fn fn) {
    const json* array = Container(obj, key, key, true);
    if (array == nullptr) return;
    for (size_t i = 0; i < array->size(); ++i) {
      if (i == kMaxViewEntries) {
        Note(absl::StrCat(key, ": ", array->size(), " entries; showing the first ", i));
        break;
      }
      const json& entry = (*array)[i];
      std::string path = absl::StrCat(key, "[", i, "]");
      if (entry.is_object()) {
        fn(entry, path);
      } else {
        Note(absl::StrCat(path, ": expected an object, got ", entry.type_name()));
      }
    }
  }

 private:
  std::nullopt_t Miss(const std::string& path, const std::string& want, const json& got) {
    std::string shown = got.is_number() ? got.dump() : std::string(got.type_name());
    problems_->push_back(absl::StrCat(path, ": expected ", want, ", got ", PrintableText(shown, 40)));
    return std::nullopt;
  }

  std::vector<std::string>* problems_;
};

std::string ModelSummary(const json& result, Reader& r) {
  const json* model = Reader::Member(result, "model");
  if (model == nullptr) return "";
  if (model->is_string()) return PrintableText(model->get<std::string>());
  if (!model->is_object()) return r.String(result, "model", "model");
  std::string zoo = r.String(*model, "zoo", "model.zoo");
  if (!zoo.empty()) {
    std::optional<double> width = r.Number(*model, "width", "model.width", 0, 1e6);
    return width && *width != 1.0 ? absl::StrFormat("%s (width %g)", zoo, *width) : zoo;
  }
  std::string onnx = r.String(*model, "onnx", "model.onnx");
  return onnx.empty() ? "" : absl::StrCat("ONNX ", onnx);
}

// The method as the result names it, else as the spec implies it.
std::string MethodSummary(const json& result, const json& spec, Reader& r) {
  if (const json* m = Reader::Member(result, "method")) {
    if (m->is_string()) return PrintableText(m->get<std::string>());
    if (m->is_object()) {
      std::string name = r.String(*m, "name", "method.name");
      if (!name.empty()) return name;
    }
  }
  if (!spec.is_object()) return "";
  std::vector<std::string> ignored;  // the spec was validated when the job ran; do not nag
  Reader q(&ignored);
  const json* search = Reader::Member(spec, "search");
  const json* refine = Reader::Member(spec, "refine");
  std::string method = search ? q.String(*search, "method", "") : "";
  if (method.empty()) method = "bayesian-bits";
  std::string regularizer = search ? q.String(*search, "regularizer", "") : "";
  std::optional<double> mu = search ? q.Number(*search, "mu", "") : std::nullopt;
  std::string out = method;
  if (!regularizer.empty() || mu) {
    out += absl::StrCat(" (", regularizer.empty() ? "" : regularizer + " prior",
                        !regularizer.empty() && mu ? ", " : "",
                        mu ? absl::StrFormat("mu %g", *mu) : "", ")");
  }
  std::string refine_method = refine ? q.String(*refine, "method", "") : "";
  if (!refine_method.empty() && refine_method != "none") out += " + " + refine_method;
  return out;
}

}  // namespace

std::string FormatFigure(std::optional<double> value, const char* format) {
  if (!value) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, *value);
  return buf;
}

std::string PrintableText(const std::string& s, size_t max_bytes) {
  size_t n = s.size();
  bool cut = n > max_bytes;
  if (cut) {
    n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // UTF-8 boundary
  }
  std::string out = s.substr(0, n);
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  if (cut) out += "...";
  return out;
}

absl::StatusOr<json> ParseResultJson(std::string_view text) {
  bool too_deep = false;
  json::parser_callback_t limit = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > kMaxJsonDepth) too_deep = true;
    return depth <= kMaxJsonDepth;
  };
  json j = json::parse(text.begin(), text.end(), limit, /*allow_exceptions=*/false);
  if (too_deep) {
    return absl::InvalidArgumentError(absl::StrCat("the result nests deeper than ", kMaxJsonDepth, " levels"));
  }
  if (j.is_discarded()) return absl::InvalidArgumentError("the result is not JSON");
  return j;
}

absl::StatusOr<ResultView> ReadResultView(const json& result) {
  if (!result.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the result is not a JSON object (it is ", result.type_name(), ")"));
  }
  ResultView v;
  Reader r(&v.problems);
  v.name = r.String(result, "name", "name");
  v.model = ModelSummary(result, r);
  if (const json* spec = r.Container(result, "spec", "spec", false)) v.spec = *spec;
  v.method = MethodSummary(result, v.spec, r);

  if (const json* acc = r.Container(result, "accuracy", "accuracy", false)) {
    v.accuracy_fp32 = r.Number(*acc, "fp32", "accuracy.fp32", 0, 100);
    v.accuracy_searched = r.Number(*acc, "searched", "accuracy.searched", 0, 100);
    v.accuracy_final = r.Number(*acc, "final", "accuracy.final", 0, 100);
  }
  v.relative_bops_percent = r.Number(result, "relative_bops_percent", "relative_bops_percent", 0, 1e4);
  v.relative_bops_percent_searched = r.Number(result, "relative_bops_percent_searched",
                                              "relative_bops_percent_searched", 0, 1e4);
  if (const json* lat = r.Container(result, "latency", "latency", false)) {
    v.latency_unit = r.String(*lat, "unit", "latency.unit");
    v.latency_profile = r.String(*lat, "profile", "latency.profile");
    v.latency_fp32 = r.Number(*lat, "fp32", "latency.fp32", 0);
    v.latency_w8a8 = r.Number(*lat, "w8a8", "latency.w8a8", 0);
    v.latency_searched = r.Number(*lat, "searched", "latency.searched", 0);
    v.latency_final = r.Number(*lat, "final", "latency.final", 0);
    v.reduction_vs_w8a8 = r.Number(*lat, "reduction_vs_w8a8", "latency.reduction_vs_w8a8");
  }
  if (const json* size = r.Container(result, "model_size_bytes", "model_size_bytes", false)) {
    v.size_fp32_bytes = r.Count(*size, "fp32", "model_size_bytes.fp32");
    v.size_final_bytes = r.Count(*size, "final", "model_size_bytes.final");
  }
  r.ForEachObject(result, "layers", [&](const json& l, const std::string& p) {
    LayerView lv;
    lv.name = r.String(l, "name", p + ".name");
    lv.type = r.String(l, "type", p + ".type");
    lv.weight_bits = r.Bits(l, "weight_bits", p + ".weight_bits");
    lv.act_bits = r.Bits(l, "act_bits", p + ".act_bits");
    lv.searched_weight_bits = r.Bits(l, "searched_weight_bits", p + ".searched_weight_bits");
    lv.searched_act_bits = r.Bits(l, "searched_act_bits", p + ".searched_act_bits");
    lv.channels = r.Count(l, "channels", p + ".channels");
    lv.channels_kept = r.Count(l, "channels_kept", p + ".channels_kept");
    if (lv.channels && lv.channels_kept && *lv.channels_kept > *lv.channels) {
      r.Note(absl::StrCat(p, ".channels_kept: ", *lv.channels_kept, " is more than channels (", *lv.channels, ")"));
      lv.channels_kept.reset();
    }
    lv.macs = r.Count(l, "macs", p + ".macs");
    lv.size_bytes = r.Count(l, "size_bytes", p + ".size_bytes");
    lv.latency = r.Number(l, "latency", p + ".latency", 0);
    v.layers.push_back(std::move(lv));
  });
  r.ForEachObject(result, "baselines", [&](const json& b, const std::string& p) {
    BaselineView bv;
    bv.name = r.String(b, "name", p + ".name");
    bv.accuracy = r.Number(b, "accuracy", p + ".accuracy", 0, 100);
    bv.relative_bops_percent = r.Number(b, "relative_bops_percent", p + ".relative_bops_percent", 0, 1e4);
    bv.latency = r.Number(b, "latency", p + ".latency", 0);
    bv.model_size_bytes = r.Count(b, "model_size_bytes", p + ".model_size_bytes");
    v.baselines.push_back(std::move(bv));
  });
  if (const json* timings = r.Container(result, "timings", "timings", false)) {
    size_t n = 0;
    for (auto it = timings->begin(); it != timings->end() && n < kMaxViewEntries; ++it, ++n) {
      std::optional<double> s = r.Number(*timings, it.key().c_str(), "timings." + PrintableText(it.key(), 40), 0);
      if (s) v.timings.emplace_back(PrintableText(it.key(), 40), *s);
    }
  }
  if (const json* refine = r.Container(result, "refine", "refine", false)) {
    v.refine_summary = r.String(*refine, "summary", "refine.summary");
  }
  if (const json* pre = r.Container(result, "preprocessing", "preprocessing", false)) {
    v.preprocessing = *pre;
  }
  if (const json* exp = r.Container(result, "export", "export", false)) v.export_report = *exp;
  return v;
}

}  // namespace bitsearch
