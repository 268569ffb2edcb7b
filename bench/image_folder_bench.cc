// How large an image folder the reader handles: writes a folder of N PNG files (Fashion-MNIST
// images, resized to 32x32 and stored as RGB, CIFAR-sized), then reads it in separate processes
// so each figure is that phase's own peak resident memory (getrusage ru_maxrss):
//   decode       ReadImageFolder without a cache (parallel decode into uint8 [N, 3, 32, 32])
//   decode+save  the same, writing the decoded-tensor cache
//   cache        a second read, from the cache
//   dataset      LoadDataset from the cache: split + preprocessing to float32 (what a job holds)
//
//   image_folder_bench [--images 50000] [--dir DIR] [--threads 2]
// Prints one line per phase: seconds, peak RSS in MiB, and the decoded tensor's size in MiB.
// Internal modes (run by the bench itself): --mode write|decode|decode-save|cache|dataset.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "search/data/dataset.h"
#include "search/data/image_folder.h"

namespace fs = std::filesystem;
using namespace bitsearch;

namespace {

double PeakMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux: kilobytes
}

int Write(const std::string& dir, int64_t images) {
  auto x = ReadIdxImages(FashionMnistDir() + "/train-images-idx3-ubyte.gz");
  auto y = ReadIdxLabels(FashionMnistDir() + "/train-labels-idx1-ubyte.gz");
  auto tx = ReadIdxImages(FashionMnistDir() + "/t10k-images-idx3-ubyte.gz");
  auto ty = ReadIdxLabels(FashionMnistDir() + "/t10k-labels-idx1-ubyte.gz");
  if (!x.ok() || !y.ok() || !tx.ok() || !ty.ok()) {
    std::fprintf(stderr, "image_folder_bench: cannot read Fashion-MNIST from %s\n", FashionMnistDir().c_str());
    return 1;
  }
  const int64_t n_test = std::max<int64_t>(1, images / 10);
  auto write = [&](const torch::Tensor& imgs, const torch::Tensor& labels, int64_t count, const std::string& split) {
    for (int64_t i = 0; i < count; ++i) {
      const int64_t k = i % imgs.size(0);
      cv::Mat gray(28, 28, CV_8UC1, imgs[k][0].contiguous().data_ptr<uint8_t>()), big, rgb;
      cv::resize(gray, big, cv::Size(32, 32));
      cv::cvtColor(big, rgb, cv::COLOR_GRAY2BGR);
      fs::path d = fs::path(dir) / split / ("class" + std::to_string(labels[k].item<int64_t>()));
      fs::create_directories(d);
      cv::imwrite((d / (std::to_string(i) + ".png")).string(), rgb);
    }
  };
  write(*x, *y, images - n_test, "train");
  write(*tx, *ty, n_test, "test");
  return 0;
}

int Read(const std::string& mode, const std::string& dir, int threads) {
  const auto start = std::chrono::steady_clock::now();
  ImageFolderOptions o;
  o.shape = {3, 32, 32};
  o.threads = threads;
  if (mode != "decode") o.cache_dir = dir + ".cache";
  int64_t n = 0, bytes = 0;
  if (mode == "dataset") {
    DatasetSpec spec;
    spec.name.clear();
    spec.format = "image-folder";
    spec.path = dir;
    LoadOptions load;
    load.model_input_shape = o.shape;
    load.cache_dir = o.cache_dir;
    load.threads = threads;
    auto ds = LoadDataset(spec, 1, load);
    if (!ds.ok()) return std::fprintf(stderr, "%s\n", std::string(ds.status().message()).c_str()), 1;
    n = ds->train.size() + ds->validation.size() + ds->test.size();
    bytes = (ds->train.x.numel() + ds->validation.x.numel() + ds->test.x.numel()) * 4;
  } else {
    auto raw = ReadImageFolder(dir, o);
    if (!raw.ok()) return std::fprintf(stderr, "%s\n", std::string(raw.status().message()).c_str()), 1;
    n = raw->train.size() + raw->test.size();
    bytes = raw->train.x.numel() + raw->test.x.numel();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-12s %6lld images  %7.2f s  peak RSS %7.1f MiB  tensors %7.1f MiB\n", mode.c_str(),
              static_cast<long long>(n), s, PeakMiB(), bytes / 1048576.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("image-folder reader: time and peak memory per phase");
  int64_t images = 50000;
  int threads = 2;
  std::string dir, mode;
  app.add_option("--images", images, "Images in the folder (a tenth of them in test/)");
  app.add_option("--dir", dir, "Folder to write and read (default: a temporary folder, removed after)");
  app.add_option("--threads", threads, "Decoding threads");
  app.add_option("--mode", mode, "Internal: run one phase in this process");
  CLI11_PARSE(app, argc, argv);
  if (mode == "write") return Write(dir, images);
  if (!mode.empty()) return Read(mode, dir, threads);
  const bool temporary = dir.empty();
  if (temporary) dir = (fs::temp_directory_path() / ("bitsearch_image_bench_" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  fs::remove_all(dir + ".cache");
  const std::string self = fs::canonical("/proc/self/exe").string();
  auto run = [&](const std::string& m) {
    const std::string cmd = self + " --mode " + m + " --dir '" + dir + "' --images " + std::to_string(images) +
                            " --threads " + std::to_string(threads);
    return std::system(cmd.c_str());
  };
  std::printf("image_folder_bench: %lld PNG files (RGB 32x32) in %s, %d decoding threads\n",
              static_cast<long long>(images), dir.c_str(), threads);
  int rc = run("write");
  for (const char* m : {"decode", "decode-save", "cache", "dataset"}) {
    if (rc == 0) rc = run(m);
  }
  if (temporary) {
    fs::remove_all(dir);
    fs::remove_all(dir + ".cache");
  }
  return rc == 0 ? 0 : 1;
}
