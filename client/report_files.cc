#include "client/report_files.h"

#include <utility>

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

// A job's or a sweep's report: `view` is what was read from `result`; the chart and the HTML
// page are rendered from it, the page linking to the JSON and the chart by their file names.
// One template so that both kinds of result name, link and write their files the same way.
template <typename View, typename Context>
absl::StatusOr<ResultFiles> WriteReportFiles(const nlohmann::json& result, const std::string& json_path,
                                             const absl::StatusOr<View>& view, Context context,
                                             RenderedSvg (*chart)(const View&),
                                             std::string (*html)(const View&, const Context&)) {
  if (!view.ok()) return view.status();
  ResultFiles files = ResultFilesFor(json_path);
  context.json_file = BaseName(files.json);
  context.svg_file = BaseName(files.svg);
  absl::Status st = WriteThree(result, files, chart(*view).svg, html(*view, context));
  if (!st.ok()) return st;
  return files;
}

}  // namespace

absl::StatusOr<ResultFiles> WriteResultFiles(const nlohmann::json& result, const std::string& json_path,
                                             ReportContext context) {
  return WriteReportFiles(result, json_path, ReadResultView(result), std::move(context), RenderResultChart,
                          RenderHtmlReport);
}

absl::StatusOr<ResultFiles> WriteSweepFiles(const nlohmann::json& result, const std::string& json_path,
                                            SweepReportContext context) {
  return WriteReportFiles(result, json_path, ReadSweepView(result), std::move(context), RenderSweepChart,
                          RenderSweepHtml);
}

}  // namespace bitsearch
