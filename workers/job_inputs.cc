#include "workers/job_inputs.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/quote.h"
#include "base/status_macros.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

absl::Status Refuse(const std::string& field, const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", Quoted(path, 80), ": ", why));
}

// A regular file (after following links) of at most `max_bytes`; stat() never opens it, so a FIFO
// cannot block the worker and a device is seen for what it is.
absl::Status CheckRegularFile(const std::string& field, const fs::path& file, int64_t max_bytes) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return Refuse(field, file.string(), "does not exist");
  if (!S_ISREG(st.st_mode)) {
    return Refuse(field, file.string(), "is not a regular file (devices, FIFOs and sockets are refused)");
  }
  if (st.st_size > max_bytes) {
    return Refuse(field, file.string(),
                  absl::StrCat("is ", st.st_size, " bytes; this worker reads at most ", max_bytes));
  }
  return absl::OkStatus();
}

bool Inside(const fs::path& path, const fs::path& root) {
  auto r = root.begin(), p = path.begin();
  for (; r != root.end(); ++r, ++p) {
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

// The canonical form of `path` (relative ones are tried against each root in turn) if it lies
// inside a root.
absl::StatusOr<fs::path> Resolve(const std::string& field, const std::string& path,
                                 const std::vector<std::string>& roots) {
  if (roots.empty()) {
    return Refuse(field, path,
                  "this worker has no --data-root, so jobs may only use an uploaded model "
                  "(submit --onnx) and catalog data sets");
  }
  for (const std::string& root : roots) {
    std::error_code ec;
    fs::path canonical_root = fs::canonical(root, ec);
    if (ec) continue;
    fs::path candidate = fs::path(path).is_absolute() ? fs::path(path) : canonical_root / path;
    fs::path resolved = fs::canonical(candidate, ec);  // follows every link and ".."
    if (ec) continue;
    if (Inside(resolved, canonical_root)) return resolved;
    return Refuse(field, path, "leaves the worker's --data-root folders (through '..' or a link)");
  }
  return Refuse(field, path, "was not found in the worker's --data-root folders");
}

}  // namespace

absl::Status ResolveJobInputs(JobSpec* spec, bool model_uploaded,
                              const std::vector<std::string>& data_roots,
                              int64_t max_file_bytes) {
  if (!spec->model.onnx.empty() && !model_uploaded) {
    BS_ASSIGN_OR_RETURN(fs::path model, Resolve("model.onnx", spec->model.onnx, data_roots));
    BS_RETURN_IF_ERROR(CheckRegularFile("model.onnx", model, max_file_bytes));
    spec->model.onnx = model.string();
  }
  DatasetSpec& d = spec->dataset;
  if (!d.ref.empty()) return absl::OkStatus();  // uploaded: its files come from the server
  // Files named one by one: an .npz archive, the .npy arrays.
  std::vector<std::pair<std::string, std::string*>> files;
  if (d.format == "npz") files.push_back({"dataset.path", &d.path});
  if (d.format == "npy") {
    files = {{"dataset.train.x", &d.train.x}, {"dataset.train.y", &d.train.y},
             {"dataset.test.x", &d.test.x}, {"dataset.test.y", &d.test.y}};
  }
  for (auto& [field, path] : files) {
    BS_ASSIGN_OR_RETURN(fs::path file, Resolve(field, *path, data_roots));
    BS_RETURN_IF_ERROR(CheckRegularFile(field, file, max_file_bytes));
    *path = file.string();
  }
  if (!d.path.empty() && d.format != "npz") {
    BS_ASSIGN_OR_RETURN(fs::path dir, Resolve("dataset.path", spec->dataset.path, data_roots));
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return Refuse("dataset.path", spec->dataset.path, "is not a folder");
    std::vector<fs::path> roots;
    for (const std::string& r : data_roots) roots.push_back(fs::canonical(r, ec));
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      fs::path target = fs::canonical(entry.path(), ec);
      bool inside = false;
      for (const fs::path& r : roots) inside = inside || (!ec && Inside(target, r));
      if (!inside) {
        return Refuse("dataset.path", entry.path().string(),
                      "links outside the worker's --data-root folders");
      }
      if (fs::is_directory(target, ec)) continue;  // loaders look for files by name only
      BS_RETURN_IF_ERROR(CheckRegularFile("dataset.path", target, max_file_bytes));
    }
    spec->dataset.path = dir.string();
  }
  return absl::OkStatus();
}

}  // namespace bitsearch
