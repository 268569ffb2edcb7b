#include "search/dataset_manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/sha256.h"
#include "base/status_macros.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

absl::Status CheckPath(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.size() > 4096) {
    return absl::InvalidArgumentError(absl::StrCat("manifest: file path \"", path, "\" must be relative and non-empty"));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == "." || part == ".." || part.find('\0') != absl::string_view::npos ||
        part.find('\n') != absl::string_view::npos || part.find('\t') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("manifest: file path \"", path, "\" has an empty, \".\" or \"..\" part"));
    }
  }
  return absl::OkStatus();
}

// Hashes one file: its digest and its chunks'.
absl::Status HashFile(const fs::path& file, const std::string& rel, ManifestFile* out, std::vector<LocalChunk>* chunks) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(file.string(), ": cannot open"));
  out->path = rel;
  Sha256 whole;
  std::string buf(kDatasetChunkBytes, '\0');
  int64_t offset = 0;
  while (true) {
    in.read(buf.data(), kDatasetChunkBytes);
    const int64_t n = in.gcount();
    if (n <= 0) break;
    absl::string_view piece(buf.data(), static_cast<size_t>(n));
    whole.Update(piece);
    std::string digest = Sha256Hex(piece);
    out->chunks.push_back(digest);
    if (chunks) chunks->push_back({digest, file.string(), offset, n});
    offset += n;
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(file.string(), ": read error"));
  out->size = offset;
  out->sha256 = whole.HexDigest();
  return absl::OkStatus();
}

}  // namespace

int64_t DatasetManifest::TotalBytes() const {
  int64_t total = 0;
  for (const ManifestFile& f : files) total += f.size;
  return total;
}

std::string ManifestDigest(const DatasetManifest& m) {
  std::string text = m.single_file ? "bitsearch-dataset-v1 file\n" : "bitsearch-dataset-v1 folder\n";
  for (const ManifestFile& f : m.files) {
    absl::StrAppend(&text, f.path, "\t", f.size, "\t", f.sha256, "\t", absl::StrJoin(f.chunks, ","), "\n");
  }
  return "sha256:" + Sha256Hex(text);
}

absl::Status ValidateManifest(const DatasetManifest& m) {
  if (m.files.empty()) return absl::InvalidArgumentError("manifest: no files");
  if (m.single_file && m.files.size() != 1) return absl::InvalidArgumentError("manifest: a single-file data set has one file");
  for (size_t i = 0; i < m.files.size(); ++i) {
    const ManifestFile& f = m.files[i];
    BS_RETURN_IF_ERROR(CheckPath(f.path));
    if (i > 0 && !(m.files[i - 1].path < f.path)) {
      return absl::InvalidArgumentError(absl::StrCat("manifest: files are not sorted and unique at \"", f.path, "\""));
    }
    if (f.size < 0 || !IsSha256Hex(f.sha256)) {
      return absl::InvalidArgumentError(absl::StrCat("manifest: ", f.path, ": bad size or digest"));
    }
    const int64_t want = (f.size + kDatasetChunkBytes - 1) / kDatasetChunkBytes;
    if (static_cast<int64_t>(f.chunks.size()) != want) {
      return absl::InvalidArgumentError(absl::StrCat("manifest: ", f.path, ": ", f.size, " bytes need ", want,
                                                     " chunks, the manifest lists ", f.chunks.size()));
    }
    for (const std::string& c : f.chunks) {
      if (!IsSha256Hex(c)) return absl::InvalidArgumentError(absl::StrCat("manifest: ", f.path, ": bad chunk digest"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDatasetName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128 && name[0] != '.';
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("data set name \"", name, "\": use 1 to 128 of A-Z a-z 0-9 . _ - (not starting with .)"));
}

absl::StatusOr<DatasetManifest> BuildManifest(const std::string& path, std::vector<LocalChunk>* chunks) {
  std::error_code ec;
  const fs::path root(path);
  DatasetManifest m;
  if (fs::is_regular_file(root, ec)) {
    m.single_file = true;
    m.files.emplace_back();
    BS_RETURN_IF_ERROR(HashFile(root, root.filename().string(), &m.files.back(), chunks));
    return m;
  }
  if (!fs::is_directory(root, ec)) return absl::NotFoundError(absl::StrCat(path, ": no such file or folder"));
  std::vector<std::pair<std::string, fs::path>> files;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::follow_directory_symlink, ec), end;
       !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) files.push_back({fs::relative(it->path(), root).generic_string(), it->path()});
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot list (", ec.message(), ")"));
  if (files.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no files to upload"));
  std::sort(files.begin(), files.end());
  for (const auto& [rel, file] : files) {
    m.files.emplace_back();
    BS_RETURN_IF_ERROR(HashFile(file, rel, &m.files.back(), chunks));
  }
  BS_RETURN_IF_ERROR(ValidateManifest(m));
  return m;
}

}  // namespace bitsearch
