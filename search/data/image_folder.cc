#include "search/data/image_folder.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "search/data/raw_data_cache.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

struct ImageFile {
  std::string path;
  int64_t label = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

struct Listing {
  std::vector<std::string> classes;
  std::vector<ImageFile> train, test;
  int64_t ignored = 0;  // non-image files found in class folders
};

bool Hidden(const fs::path& p) { return !p.filename().empty() && p.filename().string()[0] == '.'; }

bool IsImage(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// Every image below `class_dir` (nested folders included), sorted by path.
absl::Status ListClass(const fs::path& class_dir, int64_t label, std::vector<ImageFile>* out, int64_t* ignored) {
  std::vector<ImageFile> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(class_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (Hidden(it->path())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    if (!IsImage(it->path())) {
      ++*ignored;
      continue;
    }
    ImageFile f;
    f.path = it->path().string();
    f.label = label;
    f.size = it->file_size();
    f.mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(it->last_write_time().time_since_epoch()).count();
    files.push_back(std::move(f));
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat(class_dir.string(), ": cannot list (", ec.message(), ")"));
  std::sort(files.begin(), files.end(), [](const ImageFile& a, const ImageFile& b) { return a.path < b.path; });
  out->insert(out->end(), files.begin(), files.end());
  return absl::OkStatus();
}

std::vector<std::string> SubFolders(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory() && !Hidden(e.path())) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<Listing> ListFolder(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::is_directory(root)) return absl::NotFoundError(absl::StrCat("dataset.path: ", dir, ": no such folder"));
  const std::string layout = " (expected DIR/train/<class>/*.png|*.jpg and DIR/test/<class>/..., or DIR/val/...)";
  if (!fs::is_directory(root / "train")) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": no train/ subfolder", layout));
  }
  fs::path test_dir = root / "test";
  if (!fs::is_directory(test_dir)) test_dir = root / "val";
  if (!fs::is_directory(test_dir)) return absl::InvalidArgumentError(absl::StrCat(dir, ": no test/ or val/ subfolder", layout));
  Listing l;
  l.classes = SubFolders(root / "train");
  if (l.classes.empty()) return absl::InvalidArgumentError(absl::StrCat(dir, "/train: no class subfolders", layout));
  for (size_t k = 0; k < l.classes.size(); ++k) {
    const size_t before = l.train.size();
    absl::Status st = ListClass(root / "train" / l.classes[k], static_cast<int64_t>(k), &l.train, &l.ignored);
    if (!st.ok()) return st;
    if (l.train.size() == before) {
      return absl::InvalidArgumentError(absl::StrCat((root / "train" / l.classes[k]).string(), ": no PNG or JPEG files"));
    }
  }
  for (const std::string& name : SubFolders(test_dir)) {
    auto it = std::find(l.classes.begin(), l.classes.end(), name);
    if (it == l.classes.end()) {
      return absl::InvalidArgumentError(absl::StrCat((test_dir / name).string(), ": class \"", name,
                                                     "\" has no folder in train/ (classes: ", absl::StrJoin(l.classes, ", "), ")"));
    }
    absl::Status st = ListClass(test_dir / name, it - l.classes.begin(), &l.test, &l.ignored);
    if (!st.ok()) return st;
  }
  if (l.test.empty()) return absl::InvalidArgumentError(absl::StrCat(test_dir.string(), ": no PNG or JPEG files in class subfolders"));
  return l;
}

enum Outcome : uint8_t { kDecoded, kCorrupt, kFromGray, kFromColour };

cv::Mat DecodeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && !in) return {};
  if (bytes.empty()) return {};
  try {
    // ANYCOLOR: grayscale files stay 1-channel, so a mismatch with the wanted channels is seen.
    return cv::imdecode(bytes, cv::IMREAD_ANYCOLOR);
  } catch (const cv::Exception&) {
    return {};
  }
}

// Decodes `path` into `dst` (C*H*W bytes, channel-major): channels converted, resized to cover
// H x W (area filter when shrinking), center-cropped.
Outcome DecodeInto(const std::string& path, int64_t c, int64_t h, int64_t w, uint8_t* dst) {
  cv::Mat img = DecodeFile(path);
  if (img.empty()) return kCorrupt;
  Outcome outcome = kDecoded;
  try {
    cv::Mat conv;
    const int ch = img.channels();
    if (c == 1) {
      if (ch == 1) conv = img;
      else cv::cvtColor(img, conv, ch == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY), outcome = kFromColour;
    } else {
      if (ch == 1) cv::cvtColor(img, conv, cv::COLOR_GRAY2RGB), outcome = kFromGray;
      else cv::cvtColor(img, conv, ch == 4 ? cv::COLOR_BGRA2RGB : cv::COLOR_BGR2RGB);
    }
    if (conv.rows != h || conv.cols != w) {
      const double scale = std::max(static_cast<double>(h) / conv.rows, static_cast<double>(w) / conv.cols);
      const int nh = std::max<int>(h, static_cast<int>(std::lround(conv.rows * scale)));
      const int nw = std::max<int>(w, static_cast<int>(std::lround(conv.cols * scale)));
      cv::Mat resized;
      cv::resize(conv, resized, cv::Size(nw, nh), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
      conv = resized(cv::Rect((nw - static_cast<int>(w)) / 2, (nh - static_cast<int>(h)) / 2, static_cast<int>(w),
                              static_cast<int>(h)));
    }
    for (int64_t y = 0; y < h; ++y) {
      const uint8_t* row = conv.ptr<uint8_t>(static_cast<int>(y));
      for (int64_t x = 0; x < w; ++x) {
        for (int64_t k = 0; k < c; ++k) dst[(k * h + y) * w + x] = row[x * c + k];
      }
    }
  } catch (const cv::Exception&) {
    return kCorrupt;
  }
  return outcome;
}

struct Decoded {
  RawSplit split;
  std::vector<std::string> corrupt;  // paths, in listing order
  int64_t from_gray = 0, from_colour = 0;
};

Decoded DecodeAll(const std::vector<ImageFile>& files, const std::vector<int64_t>& shape, int threads) {
  const int64_t n = static_cast<int64_t>(files.size()), c = shape[0], h = shape[1], w = shape[2];
  torch::Tensor x = torch::empty({n, c, h, w}, torch::kUInt8);
  std::vector<uint8_t> outcome(n, kDecoded);
  std::atomic<int64_t> next{0};
  auto work = [&]() {
    for (int64_t i = next++; i < n; i = next++) {
      outcome[i] = DecodeInto(files[i].path, c, h, w, x.data_ptr<uint8_t>() + i * c * h * w);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min<int64_t>(threads, n); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  Decoded d;
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < n; ++i) {
    if (outcome[i] == kCorrupt) {
      d.corrupt.push_back(files[i].path);
      continue;
    }
    d.from_gray += outcome[i] == kFromGray;
    d.from_colour += outcome[i] == kFromColour;
    keep.push_back(i);
  }
  torch::Tensor labels = torch::empty({n}, torch::kLong);
  int64_t* label = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) label[i] = files[i].label;
  if (static_cast<int64_t>(keep.size()) == n) {
    d.split = {x, labels};
  } else {
    torch::Tensor idx = torch::tensor(keep, torch::kLong);
    d.split = {x.index_select(0, idx), labels.index_select(0, idx)};
  }
  return d;
}

// The wanted shape from the first training image that decodes: its size, 1 channel if gray.
absl::StatusOr<std::vector<int64_t>> ShapeOfFirstImage(const Listing& l) {
  for (const ImageFile& f : l.train) {
    cv::Mat img = DecodeFile(f.path);
    if (!img.empty()) return std::vector<int64_t>{img.channels() == 1 ? 1 : 3, img.rows, img.cols};
  }
  return absl::InvalidArgumentError("image-folder: no training image decodes");
}

// FNV-1a over everything the decoded tensors depend on.
std::string CacheKey(const std::string& dir, const Listing& l, const std::vector<int64_t>& shape, bool skip) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::string& s) {
    for (char ch : s) h = (h ^ static_cast<uint8_t>(ch)) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  mix("image-folder-v1");
  mix(fs::absolute(dir).lexically_normal().string());
  mix(absl::StrJoin(shape, "x"));
  mix(skip ? "skip" : "error");
  for (const auto* files : {&l.train, &l.test}) {
    for (const ImageFile& f : *files) mix(absl::StrCat(f.path, "|", f.label, "|", f.size, "|", f.mtime_ns));
  }
  return absl::StrFormat("images-%016x.bin", h);
}

void NoteConversions(const Decoded& d, int64_t channels, const std::string& split, std::vector<std::string>* notes) {
  if (d.from_gray > 0) notes->push_back(absl::StrCat(split, ": ", d.from_gray, " grayscale images converted to RGB (the model takes 3 channels)"));
  if (d.from_colour > 0) {
    notes->push_back(absl::StrCat(split, ": ", d.from_colour, " colour images converted to grayscale (the model takes ", channels, " channel)"));
  }
}

}  // namespace

absl::StatusOr<RawData> ReadImageFolder(const std::string& dir, const ImageFolderOptions& options) {
  auto listing = ListFolder(dir);
  if (!listing.ok()) return listing.status();
  std::vector<int64_t> shape = options.shape;
  if (shape.empty()) {
    auto first = ShapeOfFirstImage(*listing);
    if (!first.ok()) return first.status();
    shape = *first;
  }
  if (shape.size() != 3 || (shape[0] != 1 && shape[0] != 3)) {
    return absl::InvalidArgumentError(absl::StrCat("image-folder: images decode to 1 or 3 channels; the model takes ",
                                                   shape.empty() ? 0 : shape[0]));
  }
  std::string cache_path;
  if (!options.cache_dir.empty()) {
    cache_path = (fs::path(options.cache_dir) / CacheKey(dir, *listing, shape, options.skip_corrupt)).string();
    if (std::optional<RawData> cached = LoadRawDataCache(cache_path)) {
      cached->notes.push_back(absl::StrCat("decoded images read from the cache ", cache_path));
      return std::move(*cached);
    }
  }
  const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  RawData raw;
  raw.name = "image-folder:" + dir;
  raw.classes = static_cast<int64_t>(listing->classes.size());
  std::vector<std::string> corrupt;
  for (auto [files, split, out] : {std::make_tuple(&listing->train, "train", &raw.train),
                                   std::make_tuple(&listing->test, "test", &raw.test)}) {
    Decoded d = DecodeAll(*files, shape, threads);
    corrupt.insert(corrupt.end(), d.corrupt.begin(), d.corrupt.end());
    NoteConversions(d, shape[0], split, &raw.notes);
    *out = std::move(d.split);
  }
  if (!corrupt.empty()) {
    if (!options.skip_corrupt) {
      return absl::InvalidArgumentError(absl::StrCat(
          corrupt[0], ": cannot decode (corrupt, truncated or not a PNG/JPEG)",
          corrupt.size() > 1 ? absl::StrCat(", and ", corrupt.size() - 1, " more files") : "",
          "; remove it or set dataset.on_corrupt to \"skip\""));
    }
    raw.notes.push_back(absl::StrCat("skipped ", corrupt.size(), " corrupt images (first: ", corrupt[0], ")"));
  }
  if (raw.train.size() == 0 || raw.test.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": no decodable images left in ", raw.train.size() == 0 ? "train" : "test"));
  }
  if (listing->ignored > 0) raw.notes.push_back(absl::StrCat("ignored ", listing->ignored, " files that are not PNG or JPEG"));
  if (!cache_path.empty()) {
    absl::Status saved = SaveRawDataCache(cache_path, raw);
    if (!saved.ok()) raw.notes.push_back(absl::StrCat("decoded images not cached: ", saved.message()));
  }
  return raw;
}

}  // namespace bitsearch
