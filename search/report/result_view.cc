#include "search/report/result_view.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "search/report/json_reader.h"

namespace bitsearch {
namespace {

using nlohmann::json;

std::string ModelSummary(const json& result, JsonReader& r) {
  const json* model = JsonReader::Member(result, "model");
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
std::string MethodSummary(const json& result, const json& spec, JsonReader& r) {
  if (const json* m = JsonReader::Member(result, "method")) {
    if (m->is_string()) return PrintableText(m->get<std::string>());
    if (m->is_object()) {
      std::string name = r.String(*m, "name", "method.name");
      if (!name.empty()) return name;
    }
  }
  if (!spec.is_object()) return "";
  std::vector<std::string> ignored;  // the spec was validated when the job ran; do not nag
  JsonReader q(&ignored);
  const json* search = JsonReader::Member(spec, "search");
  const json* refine = JsonReader::Member(spec, "refine");
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

namespace {

// compare_methods' rows ("comparison"), each read like the job's own figures.
void ReadComparison(const json& result, JsonReader& r, ResultView& v) {
  r.ForEachObject(result, "comparison", [&](const json& m, const std::string& p) {
    MethodView mv;
    mv.method = r.String(m, "method", p + ".method");
    if (const json* t = r.Container(m, "target", p + ".target", false)) {
      if (auto bops = r.Number(*t, "relative_bops_percent", p + ".target.relative_bops_percent", 0)) {
        mv.target = absl::StrFormat("%.3g%% relative BOPs", *bops);
      } else if (auto lat = r.Number(*t, "latency", p + ".target.latency", 0)) {
        mv.target = absl::StrFormat("%.6g latency", *lat);
      }
    }
    if (const json* a = r.Container(m, "accuracy", p + ".accuracy", false)) {
      mv.accuracy_searched = r.Number(*a, "searched", p + ".accuracy.searched", 0, 100);
      mv.accuracy_final = r.Number(*a, "final", p + ".accuracy.final", 0, 100);
    }
    if (const json* b = r.Container(m, "relative_bops_percent", p + ".relative_bops_percent", false)) {
      mv.relative_bops_searched = r.Number(*b, "searched", p + ".relative_bops_percent.searched", 0, 1e4);
      mv.relative_bops_final = r.Number(*b, "final", p + ".relative_bops_percent.final", 0, 1e4);
    }
    if (const json* l = r.Container(m, "latency", p + ".latency", false)) {
      mv.latency_searched = r.Number(*l, "searched", p + ".latency.searched", 0);
      mv.latency_final = r.Number(*l, "final", p + ".latency.final", 0);
    }
    mv.seconds = r.Number(m, "seconds", p + ".seconds", 0);
    r.ForEachObject(m, "layers", [&](const json& l, const std::string& lp) {
      std::optional<int64_t> w = r.Count(l, "weight_bits", lp + ".weight_bits");
      std::optional<int64_t> a = r.Count(l, "act_bits", lp + ".act_bits");
      absl::StrAppend(&mv.bits, mv.bits.empty() ? "" : ", ", r.String(l, "name", lp + ".name"), " ",
                      w ? absl::StrCat(*w) : "-", "/", a ? absl::StrCat(*a) : "-");
    });
    v.methods.push_back(std::move(mv));
  });
}

}  // namespace

absl::StatusOr<ResultView> ReadResultView(const json& result) {
  if (absl::Status s = RequireObject(result, "the result"); !s.ok()) return s;
  ResultView v;
  JsonReader r(&v.problems);
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
  ReadComparison(result, r, v);
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
