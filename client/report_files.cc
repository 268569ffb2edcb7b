#include "client/report_files.h"

#include "base/atomic_file.h"
#include "search/report/result_chart.h"
#include "search/report/result_view.h"
#include "search/report/sweep_report.h"

namespace bitsearch {
namespace {

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

ResultFiles ResultFilesFor(const std::string& json_path) {
  const std::string ext = ".json";
  bool has_ext = json_path.size() > ext.size() &&
                 json_path.compare(json_path.size() - ext.size(), ext.size(), ext) == 0;
  std::string stem = has_ext ? json_path.substr(0, json_path.size() - ext.size()) : json_path;
  return {json_path, stem + ".svg", stem + ".html"};
}

namespace {

// The JSON as stored, then the chart and the report rendered from it, each written atomically.
absl::Status WriteThree(const nlohmann::json& result, const ResultFiles& files, const std::string& svg,
                        const std::string& html) {
  const std::string text = result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  absl::Status st = WriteFileAtomically(files.json, text);
  if (st.ok()) st = WriteFileAtomically(files.svg, svg);
  if (st.ok()) st = WriteFileAtomically(files.html, html);
  return st;
}

}  // namespace

absl::StatusOr<ResultFiles> WriteResultFiles(const nlohmann::json& result, const std::string& json_path,
                                             ReportContext context) {
  absl::StatusOr<ResultView> view = ReadResultView(result);
  if (!view.ok()) return view.status();
  ResultFiles files = ResultFilesFor(json_path);
  context.json_file = BaseName(files.json);
  context.svg_file = BaseName(files.svg);
  absl::Status st = WriteThree(result, files, RenderResultChart(*view).svg, RenderHtmlReport(*view, context));
  if (!st.ok()) return st;
  return files;
}

absl::StatusOr<ResultFiles> WriteSweepFiles(const nlohmann::json& result, const std::string& json_path,
                                            SweepReportContext context) {
  absl::StatusOr<SweepView> view = ReadSweepView(result);
  if (!view.ok()) return view.status();
  ResultFiles files = ResultFilesFor(json_path);
  context.json_file = BaseName(files.json);
  context.svg_file = BaseName(files.svg);
  absl::Status st = WriteThree(result, files, RenderSweepChart(*view).svg, RenderSweepHtml(*view, context));
  if (!st.ok()) return st;
  return files;
}

}  // namespace bitsearch
