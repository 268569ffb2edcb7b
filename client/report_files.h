// The files a finished job (or sweep) leaves for a person, written by `run` and by
// `result ID --out FILE`:
// the result JSON at FILE and beside it the chart (FILE without .json + ".svg") and the
// self-contained HTML report (+ ".html").
// Thread-safety: pure functions apart from the file writes.
#ifndef BITSEARCH_CLIENT_REPORT_FILES_H_
#define BITSEARCH_CLIENT_REPORT_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "search/report/html_report.h"
#include "search/report/sweep_report.h"

namespace bitsearch {

struct ResultFiles {
  std::string json, svg, html;
};

// The three paths for a result JSON path ("out/r.json" -> out/r.svg, out/r.html; a path without
// ".json" gets the suffixes appended).
ResultFiles ResultFilesFor(const std::string& json_path);

// Writes the three files, each atomically (a reader never sees half a file). INVALID_ARGUMENT
// when `result` is not a JSON object; ill-typed fields are rendered as missing (the report lists
// them). `context` gives the report its source line and exported files; the file links are
// filled in here.
absl::StatusOr<ResultFiles> WriteResultFiles(const nlohmann::json& result, const std::string& json_path,
                                             ReportContext context);
// The same for a sweep's result (search/report/sweep_result.h): its JSON, chart and report.
absl::StatusOr<ResultFiles> WriteSweepFiles(const nlohmann::json& result, const std::string& json_path,
                                            SweepReportContext context);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_REPORT_FILES_H_
