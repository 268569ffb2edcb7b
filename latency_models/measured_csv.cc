#include "latency_models/measured_csv.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace bitsearch {
namespace {

constexpr int kNumColumns = 15;

std::string Where(const std::string& source, size_t line, int column, const std::string& name) {
  std::string w = absl::StrCat(source, ": line ", line);
  if (column > 0) absl::StrAppend(&w, ", column ", column, " (", name, ")");
  return w;
}

std::string FormatLatency(double v) {
  // %.17g round-trips every double, so export -> import is lossless.
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::vector<std::string> SignatureFields(const LayerSignature& s) {
  return {s.type,
          absl::StrCat(s.groups),
          absl::StrCat(s.kernel_h),
          absl::StrCat(s.kernel_w),
          absl::StrCat(s.stride),
          absl::StrCat(s.padding),
          absl::StrCat(s.in_h),
          absl::StrCat(s.in_w),
          absl::StrCat(s.out_h),
          absl::StrCat(s.out_w),
          absl::StrCat(s.in_channels),
          absl::StrCat(s.out_channels)};
}

}  // namespace

const std::vector<std::string>& MeasuredCsvColumns() {
  static const auto* columns = new std::vector<std::string>{
      "type",  "groups", "kernel_h",    "kernel_w",     "stride",   "padding",     "in_h", "in_w",
      "out_h", "out_w",  "in_channels", "out_channels", "act_bits", "weight_bits", "latency"};
  return *columns;
}

std::vector<std::pair<int, int>> DefaultBitPairs() {
  std::vector<std::pair<int, int>> pairs;
  for (int a : {2, 4, 8}) {
    for (int w : {2, 4, 8}) pairs.emplace_back(a, w);
  }
  return pairs;
}

absl::StatusOr<std::vector<LatencyRow>> ParseMeasuredCsv(const std::string& text,
                                                         const std::string& source) {
  const std::vector<std::string>& names = MeasuredCsvColumns();
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  std::map<std::string, int> position;  // column name -> 0-based index in the header
  std::vector<LatencyRow> rows;
  std::map<std::string, size_t> seen;   // signature key + bits -> line first seen
  bool have_header = false;
  for (size_t li = 0; li < lines.size(); ++li) {
    const size_t line_no = li + 1;
    absl::string_view line = absl::StripAsciiWhitespace(lines[li]);
    if (line.empty()) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    for (std::string& f : fields) f = std::string(absl::StripAsciiWhitespace(f));
    if (!have_header) {
      if (line_no != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": line ", line_no, ": the header must be on line 1"));
      }
      for (size_t c = 0; c < fields.size(); ++c) {
        const std::string& f = fields[c];
        if (std::find(names.begin(), names.end(), f) == names.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat(Where(source, line_no, c + 1, f), ": unknown column; expected ",
                           absl::StrJoin(names, ",")));
        }
        if (!position.emplace(f, static_cast<int>(c)).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(Where(source, line_no, c + 1, f), ": column named twice"));
        }
      }
      for (const std::string& n : names) {
        if (!position.count(n)) {
          return absl::InvalidArgumentError(
              absl::StrCat(source, ": line 1: missing column '", n, "'"));
        }
      }
      have_header = true;
      continue;
    }
    if (fields.size() != position.size()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": line ", line_no, ": ",
                                                     fields.size(), " fields, expected ",
                                                     position.size()));
    }
    auto field = [&](const std::string& n) -> const std::string& { return fields[position[n]]; };
    auto where = [&](const std::string& n) { return Where(source, line_no, position[n] + 1, n); };
    auto read_int = [&](const std::string& n, int64_t* out) -> absl::Status {
      if (!absl::SimpleAtoi(field(n), out)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where(n), ": '", field(n), "' is not an integer"));
      }
      return absl::OkStatus();
    };
    LatencyRow r;
    r.signature.type = field("type");
    if (r.signature.type != "conv" && r.signature.type != "linear") {
      return absl::InvalidArgumentError(absl::StrCat(
          where("type"), ": unknown layer type '", r.signature.type, "' (expected conv or linear)"));
    }
    LayerSignature& s = r.signature;
    const std::pair<const char*, int64_t*> ints[] = {
        {"groups", &s.groups},   {"kernel_h", &s.kernel_h},       {"kernel_w", &s.kernel_w},
        {"stride", &s.stride},   {"padding", &s.padding},         {"in_h", &s.in_h},
        {"in_w", &s.in_w},       {"out_h", &s.out_h},             {"out_w", &s.out_w},
        {"in_channels", &s.in_channels}, {"out_channels", &s.out_channels}};
    for (const auto& [n, dst] : ints) {
      if (absl::Status st = read_int(n, dst); !st.ok()) return st;
    }
    if (absl::Status st = s.Validate(); !st.ok()) {
      // Validate names the field ("field 'groups': ..."); point at its column.
      std::string col = "type";
      for (const auto& [n, dst] : ints) {
        if (absl::StrContains(st.message(), absl::StrCat("'", n, "'"))) col = n;
      }
      return absl::InvalidArgumentError(absl::StrCat(where(col), ": ", st.message()));
    }
    for (const char* n : {"act_bits", "weight_bits"}) {
      int64_t bits = 0;
      if (absl::Status st = read_int(n, &bits); !st.ok()) return st;
      if (bits < 1 || bits > 32) {
        return absl::InvalidArgumentError(
            absl::StrCat(where(n), ": bit width ", bits, " is outside 1..32"));
      }
      (std::string(n) == "act_bits" ? r.act_bits : r.weight_bits) = static_cast<int>(bits);
    }
    const std::string& lat = field("latency");
    if (lat.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where("latency"), ": latency is empty"));
    }
    if (!absl::SimpleAtod(lat, &r.latency) || !std::isfinite(r.latency)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where("latency"), ": '", lat, "' is not a number"));
    }
    if (r.latency < 0.0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where("latency"), ": latency ", lat, " is negative"));
    }
    const std::string key = absl::StrCat(s.Key(), "/a", r.act_bits, "/w", r.weight_bits);
    auto [it, inserted] = seen.emplace(key, line_no);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": line ", line_no,
                                                     ": duplicate row, same signature and bits "
                                                     "as line ", it->second));
    }
    rows.push_back(std::move(r));
  }
  if (!have_header) return absl::InvalidArgumentError(absl::StrCat(source, ": file is empty"));
  if (rows.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": no data rows"));
  return rows;
}

std::string ExportSpecCsv(const std::vector<LayerSignature>& signatures,
                          const std::vector<std::pair<int, int>>& bit_pairs) {
  std::set<LayerSignature> unique(signatures.begin(), signatures.end());
  std::set<std::pair<int, int>> pairs(bit_pairs.begin(), bit_pairs.end());
  std::string out = absl::StrCat(absl::StrJoin(MeasuredCsvColumns(), ","), "\n");
  for (const LayerSignature& s : unique) {
    const std::string prefix = absl::StrJoin(SignatureFields(s), ",");
    for (const auto& [a, w] : pairs) absl::StrAppend(&out, prefix, ",", a, ",", w, ",\n");
  }
  return out;
}

std::string RowsToCsv(const std::vector<LatencyRow>& rows) {
  std::string out = absl::StrCat(absl::StrJoin(MeasuredCsvColumns(), ","), "\n");
  for (const LatencyRow& r : rows) {
    absl::StrAppend(&out, absl::StrJoin(SignatureFields(r.signature), ","), ",", r.act_bits, ",",
                    r.weight_bits, ",", FormatLatency(r.latency), "\n");
  }
  return out;
}

}  // namespace bitsearch
