#include "search/report/html_parts.h"

#include "absl/strings/str_cat.h"
#include "search/report/svg_writer.h"

namespace bitsearch::report_html {

std::string H(const std::string& s) { return XmlEscape(s); }

std::string Row(std::initializer_list<std::string> cells, bool header) {
  std::string out = "<tr>";
  for (const std::string& c : cells) absl::StrAppend(&out, header ? "<th>" : "<td>", c, header ? "</th>" : "</td>");
  return out + "</tr>\n";
}

std::string ChartSection(const std::string& svg, const std::string& json_file,
                         const char* json_what, const std::string& svg_file) {
  std::string out = absl::StrCat("<h2>Chart</h2>\n<figure id=\"chart\">\n", svg, "</figure>\n");
  if (svg_file.empty() && json_file.empty()) return out;
  out += "<p>Files: ";
  if (!json_file.empty()) {
    absl::StrAppend(&out, "<a", Attr("href", json_file), ">", H(json_file), "</a> (", json_what, ") ");
  }
  if (!svg_file.empty()) absl::StrAppend(&out, "<a", Attr("href", svg_file), ">", H(svg_file), "</a> (chart)");
  return out + "</p>\n";
}

}  // namespace bitsearch::report_html
