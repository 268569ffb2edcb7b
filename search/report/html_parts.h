// HTML pieces that the result report (html_report.cc) and the sweep report (sweep_report.cc)
// both build their pages from, so the two read alike.
//
// Torch-free. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_REPORT_HTML_PARTS_H_
#define BITSEARCH_SEARCH_REPORT_HTML_PARTS_H_

#include <initializer_list>
#include <string>

namespace bitsearch::report_html {

// Text from a result, escaped for HTML.
std::string H(const std::string& s);

// One table row of cells that are markup already; `header` makes them <th>.
std::string Row(std::initializer_list<std::string> cells, bool header = false);

// The "Chart" section: `svg` inline, then links to the files written beside the report
// (`json_file` described as `json_what`, the chart as `svg_file`; "" = not written).
std::string ChartSection(const std::string& svg, const std::string& json_file,
                         const char* json_what, const std::string& svg_file);

}  // namespace bitsearch::report_html

#endif  // BITSEARCH_SEARCH_REPORT_HTML_PARTS_H_
