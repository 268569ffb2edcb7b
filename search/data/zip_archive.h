// Reads entries of a ZIP archive the way numpy.savez (stored) and numpy.savez_compressed
// (deflated) write them, ZIP64 records included: the central directory says where each entry
// lies; entries are inflated with zlib and checked against their CRC-32.
// Thread-safety: one archive per thread (it holds an open file).
#ifndef BITSEARCH_SEARCH_DATA_ZIP_ARCHIVE_H_
#define BITSEARCH_SEARCH_DATA_ZIP_ARCHIVE_H_

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bitsearch {

class ZipArchive {
 public:
  // Opens `path` and reads its central directory. NOT_FOUND when it cannot be opened,
  // INVALID_ARGUMENT when it is not a ZIP archive (the message names the path).
  static absl::StatusOr<std::unique_ptr<ZipArchive>> Open(const std::string& path);

  // Entry names in archive order.
  std::vector<std::string> Names() const;
  bool Contains(const std::string& name) const { return entries_.count(name) > 0; }
  // The uncompressed bytes of `name`; NOT_FOUND when absent, DATA_LOSS when corrupt.
  absl::StatusOr<std::string> Read(const std::string& name);

 private:
  struct Entry {
    uint16_t method = 0;        // 0 stored, 8 deflated
    uint16_t flags = 0;
    uint32_t crc32 = 0;
    uint64_t compressed = 0;
    uint64_t uncompressed = 0;
    uint64_t local_header = 0;  // offset of the entry's local header
    size_t order = 0;
  };
  explicit ZipArchive(std::string path) : path_(std::move(path)) {}
  absl::Status ReadDirectory();

  std::string path_;
  std::ifstream in_;
  uint64_t size_ = 0;
  std::map<std::string, Entry> entries_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_ZIP_ARCHIVE_H_
