#include "client/catalog_commands.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>

#include "nlohmann/json.hpp"
#include "search/catalog.h"

namespace bitsearch {
namespace {

struct Section {
  StrategyKind kind;
  const char* field;  // the spec field that names one
};

// The strategies `methods list` shows, with the spec field each goes in.
constexpr Section kMethodSections[] = {
    {StrategyKind::kSearchMethod, "search.method"},
    {StrategyKind::kPrior, "search.regularizer"},
    {StrategyKind::kRefineMethod, "refine.method"},
    {StrategyKind::kBaseline, "baselines"},
    {StrategyKind::kFinetuneMethod, "finetune.method"},
};

// The widest name of every section, so that all descriptions start in one column.
int NameColumnWidth() {
  size_t width = 0;
  for (const Section& section : kMethodSections) {
    for (const StrategyInfo& s : ListStrategies(section.kind)) width = std::max(width, s.name.size());
  }
  return static_cast<int>(width);
}

void PrintEntries(StrategyKind kind) {
  const int width = NameColumnWidth();
  for (const StrategyInfo& s : ListStrategies(kind)) {
    std::printf("  %-*s  %s\n", width, s.name.c_str(), s.description.c_str());
  }
}

nlohmann::json EntriesJson(StrategyKind kind) {
  nlohmann::json out = nlohmann::json::array();
  for (const StrategyInfo& s : ListStrategies(kind)) {
    out.push_back({{"name", s.name}, {"description", s.description}});
  }
  return out;
}

// `GROUP list [--json]`: `print` writes the text form, `to_json` the JSON one.
void AddListCommand(CLI::App& app, const char* group, const char* group_help, const char* list_help,
                    std::function<void()> print, std::function<nlohmann::json()> to_json) {
  CLI::App* sub = app.add_subcommand(group, group_help);
  sub->require_subcommand(1);
  CLI::App* list = sub->add_subcommand("list", list_help);
  auto json = std::make_shared<bool>(false);
  list->add_flag("--json", *json, "Print JSON");
  list->callback([json, print, to_json]() {
    if (*json) {
      std::cout << to_json().dump(2) << "\n";
    } else {
      print();
    }
  });
}

}  // namespace

void AddCatalogCommands(CLI::App& app) {
  AddListCommand(
      app, "models", "Zoo models", "List the zoo models (model.zoo)",
      [] {
        for (const StrategyInfo& m : ListStrategies(StrategyKind::kZooModel)) {
          std::printf("%-12s %s\n", m.name.c_str(), m.description.c_str());
        }
      },
      [] { return EntriesJson(StrategyKind::kZooModel); });
  AddListCommand(
      app, "methods", "Search methods, priors, refine methods, baselines",
      "List what a spec can name, by field (JSON: an object keyed by spec field)",
      [] {
        for (const Section& s : kMethodSections) {
          std::printf("%s (%ss):\n", s.field, StrategyKindName(s.kind));
          PrintEntries(s.kind);
        }
      },
      [] {
        nlohmann::json out = nlohmann::json::object();
        for (const Section& s : kMethodSections) out[s.field] = EntriesJson(s.kind);
        return out;
      });
}

}  // namespace bitsearch
