#include "search/data/npy.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace bitsearch {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

struct DType {
  torch::ScalarType stored;  // what the file's bytes are, when torch has that type
  torch::ScalarType result;  // what the array becomes
  int item_size;
  bool widen_unsigned;       // uint16/32/64: read by hand into int32/int64
};

absl::StatusOr<DType> ParseDescr(const std::string& descr, const std::string& what) {
  if (descr.size() < 3) return absl::InvalidArgumentError(absl::StrCat(what, ": unsupported dtype '", descr, "'"));
  if (descr[0] == '>') {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": big-endian dtype '", descr, "' is not supported; save it with arr.astype(arr.dtype.newbyteorder('<'))"));
  }
  if (descr[0] != '<' && descr[0] != '|' && descr[0] != '=') {
    return absl::InvalidArgumentError(absl::StrCat(what, ": unsupported dtype '", descr, "'"));
  }
  const std::string t = descr.substr(1);
  if (t == "b1") return DType{torch::kBool, torch::kBool, 1, false};
  if (t == "i1") return DType{torch::kChar, torch::kChar, 1, false};
  if (t == "i2") return DType{torch::kShort, torch::kShort, 2, false};
  if (t == "i4") return DType{torch::kInt, torch::kInt, 4, false};
  if (t == "i8") return DType{torch::kLong, torch::kLong, 8, false};
  if (t == "u1") return DType{torch::kByte, torch::kByte, 1, false};
  if (t == "u2") return DType{torch::kShort, torch::kInt, 2, true};
  if (t == "u4") return DType{torch::kInt, torch::kLong, 4, true};
  if (t == "u8") return DType{torch::kLong, torch::kLong, 8, true};
  if (t == "f2") return DType{torch::kHalf, torch::kHalf, 2, false};
  if (t == "f4") return DType{torch::kFloat, torch::kFloat, 4, false};
  if (t == "f8") return DType{torch::kDouble, torch::kDouble, 8, false};
  return absl::InvalidArgumentError(absl::StrCat(what, ": unsupported dtype ", NpyTypeName(descr), " ('", descr,
                                                 "'); use uint8, integers or float16/32/64"));
}

// The value of `key` in the header dict literal, as the raw text up to the next top-level comma.
absl::StatusOr<std::string> HeaderValue(const std::string& header, const std::string& key, const std::string& what) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) at = header.find("\"" + key + "\"");
  if (at == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": .npy header lacks '", key, "'"));
  }
  size_t colon = header.find(':', at);
  if (colon == std::string::npos) return absl::InvalidArgumentError(absl::StrCat(what, ": malformed .npy header"));
  size_t from = colon + 1;
  while (from < header.size() && header[from] == ' ') ++from;
  size_t to = from;
  int depth = 0;
  for (; to < header.size(); ++to) {
    char c = header[to];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if ((c == ',' || c == '}') && depth == 0) break;
  }
  return header.substr(from, to - from);
}

absl::StatusOr<std::vector<int64_t>> ParseShape(const std::string& text, const std::string& what) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    return absl::InvalidArgumentError(absl::StrCat(what, ": malformed shape ", text, " in the .npy header"));
  }
  std::vector<int64_t> shape;
  std::stringstream in(text.substr(1, text.size() - 2));
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b == std::string::npos) continue;
    item = item.substr(b, e - b + 1);
    if (!item.empty() && item.back() == 'L') item.pop_back();  // Python 2 longs
    char* end = nullptr;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (end == item.c_str() || *end != '\0' || v < 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": malformed shape ", text, " in the .npy header"));
    }
    shape.push_back(v);
  }
  return shape;
}

uint32_t Little(const std::string& s, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

}  // namespace

std::string NpyTypeName(const std::string& descr) {
  static const std::map<std::string, std::string> names = {
      {"b1", "bool"},   {"i1", "int8"},    {"i2", "int16"},   {"i4", "int32"},   {"i8", "int64"},
      {"u1", "uint8"},  {"u2", "uint16"},  {"u4", "uint32"},  {"u8", "uint64"},  {"f2", "float16"},
      {"f4", "float32"}, {"f8", "float64"}, {"c8", "complex64"}, {"c16", "complex128"}, {"O", "object"}};
  auto it = names.find(descr.size() > 1 ? descr.substr(1) : descr);
  return it == names.end() ? descr : it->second;
}

namespace {

struct Header {
  std::string descr;
  DType dtype;
  std::vector<int64_t> shape;
  bool fortran_order = false;
  size_t data_at = 0;      // offset of the data in the file
  uint64_t data_bytes = 0; // what the shape and dtype need
  int64_t count = 0;
  std::string shape_text;
};

// Parses the header from the file's first bytes; `prefix` must hold at least `data_at` bytes
// (*need is set to that many when it does not).
absl::StatusOr<Header> ParseHeader(const std::string& prefix, const std::string& what, size_t* need) {
  *need = 0;
  if (prefix.size() < 10 || prefix.compare(0, 6, kMagic, 6) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a .npy file (no \\x93NUMPY magic); write it with numpy.save"));
  }
  const int major = static_cast<uint8_t>(prefix[6]);
  if (major < 1 || major > 3) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": .npy format version ", major, " is not supported"));
  }
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (prefix.size() < 8 + len_bytes) return absl::DataLossError(absl::StrCat(what, ": truncated .npy header"));
  Header h;
  const size_t header_len = Little(prefix, 8, static_cast<int>(len_bytes));
  h.data_at = 8 + len_bytes + header_len;
  if (prefix.size() < h.data_at) {
    *need = h.data_at;
    return absl::DataLossError(absl::StrCat(what, ": truncated .npy header"));
  }
  const std::string header = prefix.substr(8 + len_bytes, header_len);
  auto descr_text = HeaderValue(header, "descr", what);
  if (!descr_text.ok()) return descr_text.status();
  h.descr = *descr_text;
  if (h.descr.size() < 2 || (h.descr.front() != '\'' && h.descr.front() != '"')) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": structured arrays (descr ", h.descr, ") are not supported"));
  }
  h.descr = h.descr.substr(1, h.descr.size() - 2);
  auto dtype = ParseDescr(h.descr, what);
  if (!dtype.ok()) return dtype.status();
  h.dtype = *dtype;
  auto fortran = HeaderValue(header, "fortran_order", what);
  if (!fortran.ok()) return fortran.status();
  h.fortran_order = *fortran == "True";
  auto shape_text = HeaderValue(header, "shape", what);
  if (!shape_text.ok()) return shape_text.status();
  h.shape_text = *shape_text;
  auto shape = ParseShape(*shape_text, what);
  if (!shape.ok()) return shape.status();
  h.shape = *shape;
  h.count = 1;
  for (int64_t d : h.shape) {
    if (d > 0 && h.count > std::numeric_limits<int64_t>::max() / d / 8) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": shape ", h.shape_text, " is too large"));
    }
    h.count *= d;
  }
  h.data_bytes = static_cast<uint64_t>(h.count) * h.dtype.item_size;
  return h;
}

absl::Status CheckLength(const Header& h, uint64_t have, const std::string& what) {
  if (have == h.data_bytes) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(what, ": header says shape ", h.shape_text, " of ", NpyTypeName(h.descr),
                                          " (", h.data_bytes, " bytes) but the file holds ", have,
                                          " bytes of data", have < h.data_bytes ? " (truncated?)" : ""));
}

// The array of `h` from its data bytes at `src`.
absl::StatusOr<NpyArray> Build(const Header& h, const char* src, const std::string& what) {
  std::vector<int64_t> stored_shape = h.shape;
  if (h.fortran_order) std::reverse(stored_shape.begin(), stored_shape.end());
  torch::Tensor t = torch::empty(stored_shape, h.dtype.result);
  const int64_t count = h.count;
  if (!h.dtype.widen_unsigned) {
    if (src != t.data_ptr()) std::memcpy(t.data_ptr(), src, h.data_bytes);
  } else if (h.dtype.item_size == 2) {
    int32_t* dst = t.data_ptr<int32_t>();
    for (int64_t i = 0; i < count; ++i) {
      uint16_t v;
      std::memcpy(&v, src + 2 * i, 2);
      dst[i] = v;
    }
  } else if (h.dtype.item_size == 4) {
    int64_t* dst = t.data_ptr<int64_t>();
    for (int64_t i = 0; i < count; ++i) {
      uint32_t v;
      std::memcpy(&v, src + 4 * i, 4);
      dst[i] = v;
    }
  } else {
    int64_t* dst = t.data_ptr<int64_t>();
    for (int64_t i = 0; i < count; ++i) {
      uint64_t v;
      std::memcpy(&v, src + 8 * i, 8);
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": uint64 value ", v, " at element ", i, " does not fit int64"));
      }
      dst[i] = static_cast<int64_t>(v);
    }
  }
  if (h.fortran_order && t.dim() > 1) {
    std::vector<int64_t> reverse;
    for (int64_t d = t.dim() - 1; d >= 0; --d) reverse.push_back(d);
    t = t.permute(reverse).contiguous();
  }
  return NpyArray{h.descr, h.shape, t};
}

}  // namespace

absl::StatusOr<NpyArray> ParseNpy(const std::string& bytes, const std::string& what) {
  size_t need = 0;
  auto h = ParseHeader(bytes, what, &need);
  if (!h.ok()) return h.status();
  absl::Status length = CheckLength(*h, bytes.size() - h->data_at, what);
  if (!length.ok()) return length;
  return Build(*h, bytes.data() + h->data_at, what);
}

absl::StatusOr<NpyArray> ReadNpyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  // The header first (it is short), then the data straight into the tensor: one copy in memory.
  std::string prefix(std::min<uint64_t>(file_size, 4096), '\0');
  in.read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
  size_t need = 0;
  auto h = ParseHeader(prefix, path, &need);
  if (!h.ok() && need > 0 && need <= file_size) {
    prefix.resize(need);
    in.seekg(0);
    in.read(prefix.data(), static_cast<std::streamsize>(need));
    h = ParseHeader(prefix, path, &need);
  }
  if (!h.ok()) return h.status();
  absl::Status length = CheckLength(*h, file_size - h->data_at, path);
  if (!length.ok()) return length;
  std::string widened;
  in.seekg(static_cast<std::streamoff>(h->data_at));
  if (!h->dtype.widen_unsigned && !h->fortran_order) {
    torch::Tensor t = torch::empty(h->shape, h->dtype.result);
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(h->data_bytes));
    if (!in) return absl::DataLossError(absl::StrCat(path, ": read error"));
    return NpyArray{h->descr, h->shape, t};
  }
  widened.resize(h->data_bytes);
  in.read(widened.data(), static_cast<std::streamsize>(h->data_bytes));
  if (!in) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return Build(*h, widened.data(), path);
}

std::string NpyBytes(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.contiguous();
  std::string descr;
  switch (t.scalar_type()) {
    case torch::kByte: descr = "|u1"; break;
    case torch::kLong: descr = "<i8"; break;
    case torch::kHalf: descr = "<f2"; break;
    default:
      t = t.to(torch::kFloat);
      descr = "<f4";
  }
  std::vector<std::string> dims;
  for (int64_t d : t.sizes()) dims.push_back(std::to_string(d));
  std::string shape = absl::StrCat("(", absl::StrJoin(dims, ", "), dims.size() == 1 ? ",)" : ")");
  std::string header = absl::StrCat("{'descr': '", descr, "', 'fortran_order': False, 'shape': ", shape, ", }");
  // numpy pads the header with spaces so the data starts at a multiple of 64, and ends it with \n.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out(kMagic, 6);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

absl::Status WriteNpyFile(const std::string& path, const torch::Tensor& t) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const std::string bytes = NpyBytes(t);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace bitsearch
