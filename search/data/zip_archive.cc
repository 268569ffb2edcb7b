#include "search/data/zip_archive.h"

#include <zlib.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace bitsearch {
namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;

uint64_t Le(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ZipArchive>> ZipArchive::Open(const std::string& path) {
  std::unique_ptr<ZipArchive> zip(new ZipArchive(path));
  zip->in_.open(path, std::ios::binary | std::ios::ate);
  if (!zip->in_) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  zip->size_ = static_cast<uint64_t>(zip->in_.tellg());
  absl::Status st = zip->ReadDirectory();
  if (!st.ok()) return st;
  return zip;
}

absl::Status ZipArchive::ReadDirectory() {
  auto not_zip = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": not a readable .npz/ZIP archive (", why,
                                                   "); write it with numpy.savez or numpy.savez_compressed"));
  };
  auto read_at = [&](uint64_t at, uint64_t n, std::string* out) {
    if (at > size_ || n > size_ - at) return false;
    out->resize(n);
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(at));
    in_.read(out->data(), static_cast<std::streamsize>(n));
    return static_cast<bool>(in_);
  };
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  const uint64_t tail_len = std::min<uint64_t>(size_, 22 + 65535);
  std::string tail;
  if (tail_len < 22 || !read_at(size_ - tail_len, tail_len, &tail)) return not_zip("too short");
  size_t eocd = std::string::npos;
  for (size_t i = tail.size() - 22 + 1; i-- > 0;) {
    if (Le(tail, i, 4) == kEndOfDirectory) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string::npos) return not_zip("no end-of-central-directory record");
  uint64_t count = Le(tail, eocd + 10, 2);
  uint64_t dir_size = Le(tail, eocd + 12, 4);
  uint64_t dir_at = Le(tail, eocd + 16, 4);
  const uint64_t eocd_at = size_ - tail_len + eocd;
  if ((count == 0xffff || dir_size == 0xffffffff || dir_at == 0xffffffff) && eocd_at >= 20) {
    std::string locator, end64;
    if (read_at(eocd_at - 20, 20, &locator) && Le(locator, 0, 4) == kZip64Locator &&
        read_at(Le(locator, 8, 8), 56, &end64) && Le(end64, 0, 4) == kZip64End) {
      count = Le(end64, 32, 8);
      dir_size = Le(end64, 40, 8);
      dir_at = Le(end64, 48, 8);
    }
  }
  std::string dir;
  if (!read_at(dir_at, dir_size, &dir)) return not_zip("central directory outside the file");
  size_t at = 0;
  for (uint64_t k = 0; k < count; ++k) {
    if (at + 46 > dir.size() || Le(dir, at, 4) != kDirectoryEntry) return not_zip("corrupt central directory");
    Entry e;
    e.flags = static_cast<uint16_t>(Le(dir, at + 8, 2));
    e.method = static_cast<uint16_t>(Le(dir, at + 10, 2));
    e.crc32 = static_cast<uint32_t>(Le(dir, at + 16, 4));
    e.compressed = Le(dir, at + 20, 4);
    e.uncompressed = Le(dir, at + 24, 4);
    const size_t name_len = Le(dir, at + 28, 2), extra_len = Le(dir, at + 30, 2), comment_len = Le(dir, at + 32, 2);
    e.local_header = Le(dir, at + 42, 4);
    if (at + 46 + name_len + extra_len + comment_len > dir.size()) return not_zip("corrupt central directory");
    std::string name = dir.substr(at + 46, name_len);
    // ZIP64 extra field: the 64-bit values of whichever 32-bit fields are saturated, in order.
    for (size_t x = at + 46 + name_len; x + 4 <= at + 46 + name_len + extra_len;) {
      const uint64_t id = Le(dir, x, 2), len = Le(dir, x + 2, 2);
      if (id == 1) {
        size_t p = x + 4;
        if (e.uncompressed == 0xffffffff && p + 8 <= x + 4 + len) e.uncompressed = Le(dir, p, 8), p += 8;
        if (e.compressed == 0xffffffff && p + 8 <= x + 4 + len) e.compressed = Le(dir, p, 8), p += 8;
        if (e.local_header == 0xffffffff && p + 8 <= x + 4 + len) e.local_header = Le(dir, p, 8);
      }
      x += 4 + len;
    }
    e.order = static_cast<size_t>(k);
    entries_[name] = e;
    at += 46 + name_len + extra_len + comment_len;
  }
  return absl::OkStatus();
}

std::vector<std::string> ZipArchive::Names() const {
  std::vector<std::pair<size_t, std::string>> ordered;
  for (const auto& [name, e] : entries_) ordered.push_back({e.order, name});
  std::sort(ordered.begin(), ordered.end());
  std::vector<std::string> names;
  for (auto& [order, name] : ordered) names.push_back(name);
  return names;
}

absl::StatusOr<std::string> ZipArchive::Read(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return absl::NotFoundError(absl::StrCat(path_, ": no entry ", name));
  const Entry& e = it->second;
  const std::string what = absl::StrCat(path_, ":", name);
  if (e.flags & 1) return absl::InvalidArgumentError(absl::StrCat(what, ": encrypted entries are not supported"));
  if (e.method != 0 && e.method != 8) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": compression method ", e.method,
                                                   " is not supported (numpy writes stored or deflated)"));
  }
  std::string local(30, '\0');
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(e.local_header));
  in_.read(local.data(), 30);
  if (!in_ || Le(local, 0, 4) != kLocalHeader) return absl::DataLossError(absl::StrCat(what, ": corrupt local header"));
  const uint64_t data_at = e.local_header + 30 + Le(local, 26, 2) + Le(local, 28, 2);
  if (data_at > size_ || e.compressed > size_ - data_at) {
    return absl::DataLossError(absl::StrCat(what, ": entry runs past the end of the file (truncated?)"));
  }
  std::string packed(e.compressed, '\0');
  in_.seekg(static_cast<std::streamoff>(data_at));
  in_.read(packed.data(), static_cast<std::streamsize>(packed.size()));
  if (!in_) return absl::DataLossError(absl::StrCat(what, ": read error"));
  std::string out;
  if (e.method == 0) {
    out = std::move(packed);
  } else {
    out.resize(e.uncompressed);
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return absl::InternalError("zlib inflateInit2 failed");
    z.next_in = reinterpret_cast<Bytef*>(packed.data());
    uint64_t in_left = packed.size(), out_done = 0;
    int rc = Z_OK;
    // zlib counts in 32-bit uInt: feed and drain in pieces so entries over 4 GiB inflate too.
    while (rc == Z_OK) {
      const uInt in_chunk = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
      z.avail_in = in_chunk;
      z.next_out = reinterpret_cast<Bytef*>(out.data() + out_done);
      const uInt out_chunk = static_cast<uInt>(std::min<uint64_t>(out.size() - out_done, 1u << 30));
      z.avail_out = out_chunk;
      rc = inflate(&z, Z_NO_FLUSH);
      in_left -= in_chunk - z.avail_in;
      out_done += out_chunk - z.avail_out;
      if (rc == Z_OK && in_chunk - z.avail_in == 0 && out_chunk - z.avail_out == 0) rc = Z_BUF_ERROR;
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END || out_done != e.uncompressed) {
      return absl::DataLossError(absl::StrCat(what, ": corrupt deflate data"));
    }
  }
  if (out.size() != e.uncompressed) return absl::DataLossError(absl::StrCat(what, ": size does not match the directory"));
  uLong crc = crc32(0L, Z_NULL, 0);
  for (uint64_t done = 0; done < out.size();) {
    const uInt n = static_cast<uInt>(std::min<uint64_t>(out.size() - done, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data() + done), n);
    done += n;
  }
  if (crc != e.crc32) return absl::DataLossError(absl::StrCat(what, ": CRC-32 mismatch (corrupt archive)"));
  return out;
}

}  // namespace bitsearch
