#include "client/compare_command.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/compare_table.h"
#include "client/service_client.h"
#include "client/service_commands.h"
#include "client/sweep_commands.h"
#include "search/report/result_view.h"
#include "search/report/sweep_result.h"

namespace bitsearch {
namespace {

bool NamesAFile(const std::string& item) {
  std::error_code ec;
  return std::filesystem::exists(item, ec) || absl::StrContains(item, "/") || absl::EndsWith(item, ".json");
}

}  // namespace

void AddCompareCommand(CLI::App& app, std::shared_ptr<ConnectionFlags> connection) {
  struct Args {
    std::vector<std::string> items;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "results side by side: job ids, sweep ids (their points) or result JSON files");
  cmd->add_option("results", a->items, "job ids, sweep ids or result JSON files")->required();
  cmd->add_flag("--json", a->json, "print JSON");
  AddConnectionOptions(cmd, connection);
  cmd->callback([connection, a] {
    std::unique_ptr<ServiceClient> client;  // connects at the first job id
    std::vector<CompareEntry> entries;
    for (const std::string& item : a->items) {
      const bool file = NamesAFile(item);
      nlohmann::json result;
      if (file) {
        absl::StatusOr<nlohmann::json> parsed = ParseResultJson(ReadFileOrDie(item, "result file"));
        if (!parsed.ok()) Die(absl::StrCat(item, ": ", parsed.status().message()), kExitUsage);
        result = *parsed;
      } else {
        if (client == nullptr) client = std::make_unique<ServiceClient>(*connection);
        if (IsSweepId(item)) {  // every succeeded point of the sweep
          for (auto& [name, point] : FetchSweepPointResults(*client, item)) {
            absl::StatusOr<ResultView> view = ReadResultView(point);
            if (view.ok()) entries.push_back({absl::StrCat(item, "/", name), std::move(*view)});
          }
          continue;
        }
        result = FetchResult(*client, item);
      }
      if (IsSweepResult(result)) {
        Die(absl::StrCat(item, ": a sweep's result holds summaries only; compare its point results (",
                         "the files beside it) or the sweep id"),
            kExitUsage);
      }
      absl::StatusOr<ResultView> view = ReadResultView(result);
      if (!view.ok()) Die(absl::StrCat(item, ": ", view.status().message()), file ? kExitUsage : kExitFailure);
      for (const std::string& p : view->problems) std::fprintf(stderr, "warning: %s: %s\n", item.c_str(), p.c_str());
      entries.push_back({item, std::move(*view)});
    }
    if (a->json) {
      std::printf("%s\n", CompareJson(entries).dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::printf("%s", FormatCompareTable(entries).c_str());
    }
  });
}

}  // namespace bitsearch
