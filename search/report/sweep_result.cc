#include "search/report/sweep_result.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "search/report/json_reader.h"
#include "search/report/pareto.h"
#include "search/report/result_view.h"

namespace bitsearch {
namespace {

using nlohmann::json;

json Figure(std::optional<double> v) { return v ? json(*v) : json(); }

// "mu 0.1, bitserial": each setting by its field's last part, strings by their value alone.
std::string SettingsLabel(const json& settings, const std::string& fallback) {
  if (!settings.is_object() || settings.empty()) return PrintableText(fallback, 60);
  std::vector<std::string> parts;
  for (const auto& [field, value] : settings.items()) {
    std::string leaf = field.substr(field.rfind('.') + 1);
    parts.push_back(value.is_string()
                        ? value.get<std::string>()
                        : absl::StrCat(leaf, " ", value.dump(-1, ' ', false, json::error_handler_t::replace)));
  }
  return PrintableText(absl::StrJoin(parts, ", "), 60);
}

// One row of the Pareto computation: where it lives in the output and its figures.
struct Candidate {
  json* entry;
  std::string profile;
  std::optional<double> accuracy, bops, latency;
};

// Marks entry["pareto_bops"] among all candidates and entry["pareto_latency"] among those on the
// same profile; returns the fronts' labels in increasing cost.
json MarkFronts(std::vector<Candidate>& all) {
  json fronts = {{"bops", json::array()}, {"latency", json::object()}};
  auto mark = [](std::vector<Candidate*> group, std::optional<double> Candidate::*cost,
                 const char* key, json& front) {
    std::vector<TradeoffPoint> tp;
    std::vector<Candidate*> used;
    for (Candidate* c : group) {
      (*c->entry)[key] = false;
      if (c->accuracy && c->*cost) {
        tp.push_back({*c->accuracy, *(c->*cost)});
        used.push_back(c);
      }
    }
    std::vector<bool> optimal = ParetoOptimal(tp);
    for (size_t i = 0; i < used.size(); ++i) (*used[i]->entry)[key] = static_cast<bool>(optimal[i]);
    for (size_t i : ParetoFrontByCost(tp)) front.push_back((*used[i]->entry)["label"]);
  };
  std::vector<Candidate*> everyone;
  std::map<std::string, std::vector<Candidate*>> by_profile;
  for (Candidate& c : all) {
    everyone.push_back(&c);
    by_profile[c.profile].push_back(&c);
  }
  mark(everyone, &Candidate::bops, "pareto_bops", fronts["bops"]);
  for (auto& [profile, group] : by_profile) {
    json front = json::array();
    mark(group, &Candidate::latency, "pareto_latency", front);
    if (!profile.empty()) fronts["latency"][profile] = front;
  }
  return fronts;
}

// Labels references "name" where the name is unique on its profile, else "name (point)".
void LabelReferences(json& refs) {
  std::map<std::pair<std::string, std::string>, int> count;
  for (const json& r : refs) ++count[{r["name"].get<std::string>(), r["profile"].get<std::string>()}];
  for (json& r : refs) {
    const std::string name = r["name"];
    r["label"] = count[{name, r["profile"].get<std::string>()}] > 1
                     ? absl::StrCat(name, " (", r["from"].get<std::string>(), ")")
                     : name;
  }
}

}  // namespace

std::string SweepStateOf(const std::vector<std::string>& states, bool cancelled) {
  bool all_queued = true, all_done = true, all_succeeded = true;
  for (const std::string& s : states) {
    const bool done = s == "SUCCEEDED" || s == "FAILED" || s == "CANCELLED";
    all_queued = all_queued && s == "QUEUED";
    all_done = all_done && done;
    all_succeeded = all_succeeded && s == "SUCCEEDED";
  }
  if (!all_done) return all_queued && !cancelled ? "QUEUED" : "RUNNING";
  if (cancelled) return "CANCELLED";
  return all_succeeded ? "SUCCEEDED" : "FAILED";
}

json BuildSweepResult(const SweepRecord& sweep) {
  json points = json::array(), baselines = json::array(), fp32 = json::array();
  std::map<std::string, int> states;
  for (const SweepPointRecord& p : sweep.points) {
    ++states[p.state];
    json entry = {{"name", p.name}, {"job", p.job_id}, {"settings", p.settings},
                  {"label", SettingsLabel(p.settings, p.name)}, {"state", p.state}};
    if (!p.error.empty()) entry["error"] = p.error;
    absl::StatusOr<ResultView> v =
        p.result.is_object() ? ReadResultView(p.result) : absl::StatusOr<ResultView>(absl::NotFoundError(""));
    if (v.ok() && p.state == "SUCCEEDED") {
      entry["accuracy"] = Figure(v->accuracy_final);
      entry["accuracy_fp32"] = Figure(v->accuracy_fp32);
      entry["relative_bops_percent"] = Figure(v->relative_bops_percent);
      entry["latency"] = Figure(v->latency_final);
      entry["latency_unit"] = v->latency_unit;
      entry["profile"] = v->latency_profile;
      entry["model_size_bytes"] = v->size_final_bytes ? json(*v->size_final_bytes) : json();
      entry["method"] = v->method;
      for (const BaselineView& b : v->baselines) {
        baselines.push_back({{"name", b.name}, {"from", p.name}, {"job", p.job_id},
                             {"profile", v->latency_profile}, {"latency_unit", v->latency_unit},
                             {"accuracy", Figure(b.accuracy)},
                             {"relative_bops_percent", Figure(b.relative_bops_percent)},
                             {"latency", Figure(b.latency)}});
      }
      // One float model per profile and pretraining: points that share both report the same.
      const bool seen = std::any_of(fp32.begin(), fp32.end(), [&](const json& f) {
        return f["profile"] == v->latency_profile && f["accuracy"] == Figure(v->accuracy_fp32);
      });
      if (v->accuracy_fp32 && !seen) {
        fp32.push_back({{"name", "fp32"}, {"from", p.name}, {"job", p.job_id},
                        {"profile", v->latency_profile}, {"latency_unit", v->latency_unit},
                        {"accuracy", Figure(v->accuracy_fp32)}, {"relative_bops_percent", 100.0},
                        {"latency", Figure(v->latency_fp32)}});
      }
    }
    points.push_back(std::move(entry));
  }
  LabelReferences(baselines);
  LabelReferences(fp32);
  std::vector<Candidate> candidates;
  for (json& e : points) {
    auto num = [&](const char* k) { return e.contains(k) && e[k].is_number() ? std::optional<double>(e[k].get<double>()) : std::nullopt; };
    candidates.push_back({&e, e.value("profile", ""), num("accuracy"), num("relative_bops_percent"), num("latency")});
  }
  for (json* refs : {&baselines, &fp32}) {
    for (json& e : *refs) {
      auto num = [&](const char* k) { return e[k].is_number() ? std::optional<double>(e[k].get<double>()) : std::nullopt; };
      candidates.push_back({&e, e["profile"].get<std::string>(), num("accuracy"), num("relative_bops_percent"), num("latency")});
    }
  }
  json fronts = MarkFronts(candidates);
  for (json& e : points) {
    e["pareto"] = e["pareto_bops"].get<bool>() || e["pareto_latency"].get<bool>();
  }
  json counts = json::object();
  for (const auto& [state, n] : states) counts[state] = n;
  return {{"name", sweep.name},
          {"sweep", {{"id", sweep.id}, {"name", sweep.name}, {"state", sweep.state},
                     {"axes", sweep.axes}, {"points", sweep.points.size()}, {"states", counts}}},
          {"pretraining", {{"runs", sweep.pretrain_runs}, {"jobs", sweep.pretrain_jobs}}},
          {"points", points},
          {"baselines", baselines},
          {"fp32", fp32},
          {"front", fronts}};
}

bool IsSweepResult(const json& result) {
  return result.is_object() && result.contains("points") && result.contains("sweep");
}

absl::StatusOr<SweepView> ReadSweepView(const json& result) {
  if (absl::Status s = RequireObject(result, "the sweep result"); !s.ok()) return s;
  SweepView v;
  JsonReader r(&v.problems);
  v.name = r.String(result, "name", "name");
  if (const json* s = r.Container(result, "sweep", "sweep", false)) {
    v.id = r.String(*s, "id", "sweep.id");
    v.state = r.String(*s, "state", "sweep.state");
    if (const json* axes = r.Container(*s, "axes", "sweep.axes", false)) v.axes = *axes;
  }
  if (const json* pre = r.Container(result, "pretraining", "pretraining", false)) {
    v.pretrain_runs = static_cast<int>(r.Integer(*pre, "runs", "pretraining.runs", 0, 1 << 20).value_or(0));
  }
  r.ForEachObject(result, "points", [&](const json& p, const std::string& path) {
    SweepPointView pv;
    for (auto [key, field] : {std::pair<const char*, std::string*>{"name", &pv.name}, {"job", &pv.job_id},
                              {"state", &pv.state}, {"error", &pv.error}, {"label", &pv.label}}) {
      *field = r.String(p, key, path + "." + key);
    }
    if (pv.label.empty()) pv.label = pv.name;
    if (const json* s = r.Container(p, "settings", path + ".settings", false)) pv.settings = *s;
    pv.accuracy = r.Number(p, "accuracy", path + ".accuracy", 0, 100);
    pv.accuracy_fp32 = r.Number(p, "accuracy_fp32", path + ".accuracy_fp32", 0, 100);
    pv.relative_bops_percent = r.Number(p, "relative_bops_percent", path + ".relative_bops_percent", 0, 1e4);
    pv.latency = r.Number(p, "latency", path + ".latency", 0);
    pv.latency_unit = r.String(p, "latency_unit", path + ".latency_unit");
    pv.profile = r.String(p, "profile", path + ".profile");
    pv.method = r.String(p, "method", path + ".method");
    pv.size_bytes = r.Count(p, "model_size_bytes", path + ".model_size_bytes");
    for (auto [key, flag] : {std::pair<const char*, bool*>{"pareto", &pv.pareto},
                             {"pareto_latency", &pv.pareto_latency}, {"pareto_bops", &pv.pareto_bops}}) {
      const json* b = JsonReader::Member(p, key);
      *flag = b != nullptr && b->is_boolean() && b->get<bool>();
    }
    if (!pv.profile.empty() && pv.latency &&
        std::find(v.profiles.begin(), v.profiles.end(), pv.profile) == v.profiles.end()) {
      v.profiles.push_back(pv.profile);
    }
    v.points.push_back(std::move(pv));
  });
  for (auto [key, out] : {std::pair<const char*, std::vector<SweepReferenceView>*>{"baselines", &v.baselines},
                          {"fp32", &v.fp32}}) {
    r.ForEachObject(result, key, [&](const json& b, const std::string& path) {
      SweepReferenceView rv;
      rv.name = r.String(b, "name", path + ".name");
      rv.label = r.String(b, "label", path + ".label");
      if (rv.label.empty()) rv.label = rv.name;
      rv.from = r.String(b, "from", path + ".from");
      rv.profile = r.String(b, "profile", path + ".profile");
      rv.latency_unit = r.String(b, "latency_unit", path + ".latency_unit");
      rv.accuracy = r.Number(b, "accuracy", path + ".accuracy", 0, 100);
      rv.relative_bops_percent = r.Number(b, "relative_bops_percent", path + ".relative_bops_percent", 0, 1e4);
      rv.latency = r.Number(b, "latency", path + ".latency", 0);
      for (auto [k, flag] : {std::pair<const char*, bool*>{"pareto_latency", &rv.pareto_latency},
                             {"pareto_bops", &rv.pareto_bops}}) {
        const json* m = JsonReader::Member(b, k);
        *flag = m != nullptr && m->is_boolean() && m->get<bool>();
      }
      out->push_back(std::move(rv));
    });
  }
  return v;
}

}  // namespace bitsearch
