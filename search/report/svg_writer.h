// Building blocks of bitsearch's SVG charts: escaping, a text-width estimate, boxes, axis scales
// (linear and logarithmic, with ticks), and a writer that records the box of every text it draws
// so that tests (and the label layout) can check that no two texts overlap.
//
// Torch-free. Thread-safety: a SvgWriter is used from one thread; the rest are pure functions.
#ifndef BITSEARCH_SEARCH_REPORT_SVG_WRITER_H_
#define BITSEARCH_SEARCH_REPORT_SVG_WRITER_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bitsearch {

// `s` with & < > " ' escaped: safe in XML/HTML text and in quoted attribute values.
std::string XmlEscape(std::string_view s);

// Width in pixels of `text` at `font_size` pixels in DejaVu Sans (Debian's sans-serif, and one of
// the widest common sans fonts, so the estimate errs on the wide side elsewhere). Advances of
// printable ASCII measured in Chromium; any other character counts as 1 em.
double TextWidth(std::string_view text, double font_size);

// The longest prefix of `text` (with "..." when cut) that is at most `max_width` pixels wide.
std::string FitText(const std::string& text, double font_size, double max_width);

// An axis-aligned rectangle in SVG user units (y grows downwards).
struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool Intersects(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
  bool Inside(const Box& o) const { return x0 >= o.x0 && x1 <= o.x1 && y0 >= o.y0 && y1 <= o.y1; }
};

// Maps data values to pixels; a logarithmic scale maps log10(value).
class Scale {
 public:
  static Scale Linear(double d0, double d1, double r0, double r1);
  static Scale Log(double d0, double d1, double r0, double r1);  // requires 0 < d0 < d1
  double operator()(double value) const;
  bool log() const { return log_; }
  double d0() const { return d0_; }
  double d1() const { return d1_; }
  // Tick values inside the domain: "nice" steps (1, 2, 5 x 10^k), about `target` of them, on a
  // linear scale; on a log scale decades, or 1-2-5 multiples, or every multiple, whichever first
  // gives at least three (a domain inside one step falls back to linear ticks).
  std::vector<double> Ticks(int target = 5) const;

 private:
  Scale(double d0, double d1, double r0, double r1, bool log);
  double d0_, d1_, r0_, r1_;
  bool log_;
};

// A tick label: "0.5", "20", "100k", "2.5M", "1e-05".
std::string FormatTick(double value);

struct TextStyle {
  double size = 11;              // pixels
  const char* anchor = "start";  // start | middle | end
  bool vertical = false;         // rotated -90 degrees about (x, y): reads bottom to top
  bool bold = false;
  std::string css_class;         // "" = none
  std::string fill;              // "" = black
  std::string title;             // a tooltip (full text of a cut label), "" = none

  TextStyle& Anchor(const char* a) { anchor = a; return *this; }
  TextStyle& Vertical() { vertical = true; return *this; }
  TextStyle& Bold() { bold = true; return *this; }
  TextStyle& Class(std::string c) { css_class = std::move(c); return *this; }
  TextStyle& Fill(std::string f) { fill = std::move(f); return *this; }
  TextStyle& Title(std::string t) { title = std::move(t); return *this; }
};

// A style of `size` pixels, to chain: Style(10).Anchor("middle").Fill("#555").
inline TextStyle Style(double size) {
  TextStyle s;
  s.size = size;
  return s;
}

class SvgWriter {
 public:
  SvgWriter(double width, double height);

  // `attrs` are attributes written as given: callers pass only their own constants and numbers;
  // text from a result goes through Text() or Attr(), which escape it.
  void Rect(double x, double y, double w, double h, const std::string& attrs);
  void Line(double x1, double y1, double x2, double y2, const std::string& attrs);
  void Polyline(const std::vector<std::pair<double, double>>& points, const std::string& attrs);
  void Circle(double cx, double cy, double r, const std::string& attrs);
  // Draws `text` with its baseline at y and returns its estimated box (also recorded).
  Box Text(double x, double y, const std::string& text, const TextStyle& style = {});
  // The box Text() would record, without drawing.
  static Box TextBox(double x, double y, const std::string& text, const TextStyle& style);
  void Raw(const std::string& markup) { body_ += markup; }

  const std::vector<Box>& text_boxes() const { return text_boxes_; }
  double width() const { return width_; }
  double height() const { return height_; }
  // The finished document (an <svg> element with the xmlns, so it stands alone or inline).
  std::string Finish() const;

 private:
  double width_, height_;
  std::string body_;
  std::vector<Box> text_boxes_;
};

// ` name="value"` with the value escaped.
std::string Attr(const char* name, const std::string& value);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REPORT_SVG_WRITER_H_
