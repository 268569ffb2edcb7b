#include "search/report/svg_writer.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace bitsearch {
namespace {

// Advance widths of ' ' (32) to '~' (126) in DejaVu Sans, in hundredths of an em, measured with
// Chromium's canvas measureText at 100 px (the font Debian's fontconfig picks for sans-serif).
constexpr unsigned char kDejaVuSansAdvance[95] = {
    32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 34, 34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86, 75, 79,
    60, 79, 69, 63, 61, 73, 68, 99, 69, 61, 69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63,
    63, 28, 28, 58, 28, 97, 63, 61, 63, 63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64, 34, 64, 84};

// Font box around the baseline, in em (DejaVu Sans ascender and descender).
constexpr double kAscent = 0.93;
constexpr double kDescent = 0.24;
// The estimate is padded a little: other fonts, hinting and kerning differ by a few percent.
constexpr double kWidthPad = 1.04;

double Log10(double v) { return std::log10(std::max(v, 1e-300)); }

}  // namespace

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

double TextWidth(std::string_view text, double font_size) {
  double em = 0;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 32 && u < 127) {
      em += kDejaVuSansAdvance[u - 32] / 100.0;
    } else if ((u & 0xC0) != 0x80) {  // the first byte of a non-ASCII character (or a control)
      em += 1.0;
    }
  }
  return em * font_size * kWidthPad;
}

std::string FitText(const std::string& text, double font_size, double max_width) {
  if (TextWidth(text, font_size) <= max_width) return text;
  size_t n = text.size();
  while (n > 0) {
    --n;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    std::string cut = text.substr(0, n) + "...";
    if (TextWidth(cut, font_size) <= max_width) return cut;
  }
  return "";
}

Scale::Scale(double d0, double d1, double r0, double r1, bool log)
    : d0_(d0), d1_(d1), r0_(r0), r1_(r1), log_(log) {}

Scale Scale::Linear(double d0, double d1, double r0, double r1) {
  if (!(d1 > d0)) d1 = d0 + 1;
  return Scale(d0, d1, r0, r1, false);
}

Scale Scale::Log(double d0, double d1, double r0, double r1) {
  if (!(d0 > 0)) d0 = 1e-12;
  if (!(d1 > d0)) d1 = d0 * 10;
  return Scale(d0, d1, r0, r1, true);
}

double Scale::operator()(double v) const {
  double f = log_ ? (Log10(v) - Log10(d0_)) / (Log10(d1_) - Log10(d0_)) : (v - d0_) / (d1_ - d0_);
  return r0_ + f * (r1_ - r0_);
}

namespace {

std::vector<double> LinearTicks(double d0, double d1, int target) {
  double raw = (d1 - d0) / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(d0 / step - 1e-9) * step; t <= d1 + step * 1e-9; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    if (ticks.size() > 100) break;
  }
  return ticks;
}

}  // namespace

std::vector<double> Scale::Ticks(int target) const {
  if (!log_) return LinearTicks(d0_, d1_, target);
  // Decades; where they give fewer than three ticks, 1-2-5 multiples; then every multiple.
  const std::vector<std::vector<double>> multiples = {{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  int k0 = static_cast<int>(std::floor(Log10(d0_))), k1 = static_cast<int>(std::ceil(Log10(d1_)));
  for (size_t s = 0; s < multiples.size(); ++s) {
    std::vector<double> ticks;
    for (int k = k0; k <= k1; ++k) {
      for (double m : multiples[s]) {
        double t = m * std::pow(10.0, k);
        if (t >= d0_ * (1 - 1e-9) && t <= d1_ * (1 + 1e-9)) ticks.push_back(t);
      }
    }
    if (ticks.size() >= 3 || (s + 1 == multiples.size() && ticks.size() >= 2)) {
      while (s == 0 && ticks.size() > 8) {  // many decades: every other one keeps it readable
        std::vector<double> thinned;
        for (size_t i = 0; i < ticks.size(); i += 2) thinned.push_back(ticks[i]);
        ticks = thinned;
      }
      return ticks;
    }
  }
  return LinearTicks(d0_, d1_, target);  // a domain narrower than one multiple step
}

std::string FormatTick(double v) {
  double a = std::abs(v);
  if (a == 0) return "0";
  for (auto [scale, suffix] : {std::pair<double, const char*>{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}) {
    if (a >= scale) return absl::StrFormat("%g%s", std::round(v / scale * 1000) / 1000, suffix);
  }
  return absl::StrFormat("%.3g", v);
}

SvgWriter::SvgWriter(double width, double height) : width_(width), height_(height) {}

void SvgWriter::Rect(double x, double y, double w, double h, const std::string& attrs) {
  absl::StrAppendFormat(&body_, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"%s/>\n", x, y,
                        std::max(0.0, w), std::max(0.0, h), attrs.empty() ? "" : " " + attrs);
}

void SvgWriter::Line(double x1, double y1, double x2, double y2, const std::string& attrs) {
  absl::StrAppendFormat(&body_, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"%s/>\n", x1, y1, x2,
                        y2, attrs.empty() ? "" : " " + attrs);
}

void SvgWriter::Polyline(const std::vector<std::pair<double, double>>& points, const std::string& attrs) {
  std::string pts;
  for (const auto& [x, y] : points) absl::StrAppendFormat(&pts, "%s%.1f,%.1f", pts.empty() ? "" : " ", x, y);
  absl::StrAppendFormat(&body_, "<polyline points=\"%s\" fill=\"none\"%s/>\n", pts,
                        attrs.empty() ? "" : " " + attrs);
}

void SvgWriter::Circle(double cx, double cy, double r, const std::string& attrs) {
  absl::StrAppendFormat(&body_, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"%s/>\n", cx, cy, r,
                        attrs.empty() ? "" : " " + attrs);
}

Box SvgWriter::TextBox(double x, double y, const std::string& text, const TextStyle& style) {
  double w = TextWidth(text, style.size) * (style.bold ? 1.1 : 1.0);
  double a = std::string_view(style.anchor) == "middle" ? -w / 2
             : std::string_view(style.anchor) == "end" ? -w
                                                      : 0;  // text start, relative to x
  if (style.vertical) {  // rotate(-90 x y): (x + u, y + v) -> (x + v, y - u)
    return {x - kAscent * style.size, y - (a + w), x + kDescent * style.size, y - a};
  }
  return {x + a, y - kAscent * style.size, x + a + w, y + kDescent * style.size};
}

Box SvgWriter::Text(double x, double y, const std::string& text, const TextStyle& style) {
  Box box = TextBox(x, y, text, style);
  text_boxes_.push_back(box);
  std::string attrs = absl::StrFormat(" x=\"%.1f\" y=\"%.1f\" font-size=\"%g\" text-anchor=\"%s\"", x, y,
                                      style.size, style.anchor);
  if (style.vertical) absl::StrAppendFormat(&attrs, " transform=\"rotate(-90 %.1f %.1f)\"", x, y);
  if (style.bold) attrs += " font-weight=\"bold\"";
  if (!style.css_class.empty()) attrs += Attr("class", style.css_class);
  if (!style.fill.empty()) attrs += Attr("fill", style.fill);
  std::string title = style.title.empty() ? "" : absl::StrCat("<title>", XmlEscape(style.title), "</title>");
  absl::StrAppend(&body_, "<text", attrs, ">", title, XmlEscape(text), "</text>\n");
  return box;
}

std::string SvgWriter::Finish() const {
  return absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
      "font-family=\"'DejaVu Sans', Verdana, sans-serif\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n%s</svg>\n",
      width_, height_, width_, height_, body_);
}

std::string Attr(const char* name, const std::string& value) {
  return absl::StrCat(" ", name, "=\"", XmlEscape(value), "\"");
}

}  // namespace bitsearch
