// The self-contained HTML report of one result: the headline figures and what they mean, the
// chart (inline SVG), per-layer, baseline and trade-off tables, the refinement, timings,
// preprocessing, exported files and the spec as run. No script, no external resource: the file
// opens anywhere, offline. `run` and `result --out` write it beside the result JSON.
//
// Torch-free. Thread-safety: pure function.
#ifndef BITSEARCH_SEARCH_REPORT_HTML_REPORT_H_
#define BITSEARCH_SEARCH_REPORT_HTML_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "search/report/result_view.h"

namespace bitsearch {

// Where the result came from and the files written with it, for the report's links.
struct ReportContext {
  std::string source;      // "bitsearch run SPEC" or "job ID on HOST:PORT"
  std::string json_file;   // the result JSON beside the report (a relative link), "" = none
  std::string svg_file;    // the chart beside the report, "" = none
  std::string export_dir;  // where the exported model was written, "" = not exported
  struct File {
    std::string name;
    int64_t bytes = 0;
  };
  std::vector<File> export_files;
  std::string export_link_prefix;  // "" = file names only; else each links to prefix + name
};

std::string RenderHtmlReport(const ResultView& v, const ReportContext& context);
// The report without its document around it (headings, tables, the inline chart): for pages
// that put it into a layout of their own (the server's job page).
std::string RenderReportBody(const ResultView& v, const ReportContext& context);

// The reports' style sheet, and a whole document of `body` with it (title escaped here; `body`
// is markup its caller escaped).
const char* ReportStyle();
std::string HtmlDocument(const std::string& title, const std::string& body);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REPORT_HTML_REPORT_H_
