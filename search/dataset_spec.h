// The `dataset` section of a job spec: which data, how raw sample values become the network's
// input (the preprocessing contract), and training-time augmentation. Torch-free, like spec.h.
//
// Preprocessing: input = (x * scale - mean[c]) / std[c] per channel c, x being the data set's raw
// values (0..255 for 8-bit images, whatever a float .npy holds). "auto" takes scale 1 and the
// training split's per-channel mean and deviation: the default for zoo models, which bitsearch
// trains itself. An imported ONNX model was trained on some preprocessing bitsearch cannot know,
// so a spec with one must name it (ParseJobSpec refuses it otherwise).
// Thread-safety: plain values.
#ifndef BITSEARCH_SEARCH_DATASET_SPEC_H_
#define BITSEARCH_SEARCH_DATASET_SPEC_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace bitsearch {

// The data set formats a spec may name with `dataset.format`.
const std::vector<std::string>& DatasetFormatNames();

struct PreprocessSpec {
  bool given = false;       // the spec set dataset.preprocess (an imported model requires it)
  bool automatic = true;    // "auto": scale 1, mean and std per channel from the training split
  double scale = 1.0;       // multiplies the raw values first
  std::vector<double> mean; // one per channel, or one for all; empty = 0
  std::vector<double> std;  // one per channel, or one for all (> 0); empty = 1
};

struct AugmentSpec {
  int64_t crop_padding = 0;      // random crop at the original size after zero-padding each side
  bool horizontal_flip = false;  // mirror a random half of each batch left-right
  bool enabled() const { return crop_padding > 0 || horizontal_flip; }
};

// One split of an "npy" data set (file paths) or an "npz" one (array names inside the archive).
struct ArrayPair {
  std::string x;
  std::string y;
};

struct DatasetSpec {
  std::string name = "fashion-mnist";   // catalog name, or empty when `format` is set
  std::string format;                   // one of DatasetFormatNames()
  // A data set uploaded to the service (`bitsearch datasets upload`): its name; `path`, `train`
  // and `test` are then relative to the uploaded folder (`path` defaults to the uploaded file, or
  // to the folder itself) and may not leave it.
  std::string ref;
  std::string digest;                   // "sha256:<hex>" the server pinned `ref` to at submission
  std::string path;                     // idx, cifar10-bin, image-folder: a folder; npz: the file
  ArrayPair train, test;                // npy: .npy files; npz: array names (x_train, y_train, ...)
  std::string layout = "NCHW";          // npy, npz: "NCHW" or "NHWC" (4-d x; 3-d x is N,H,W)
  std::string on_corrupt = "error";     // image-folder: "error" names the file; "skip" counts it
  // An .npy file of unlabelled samples (raw values like the data set's, dataset.layout) that the
  // post-training steps (range setting, CLE statistics, bias correction, AdaRound) calibrate on
  // instead of the first training samples. "" = the training split.
  std::string calibration;
  int64_t train_limit = 0;              // 0 = all training samples
  int64_t test_limit = 0;               // 0 = all test samples
  double validation_fraction = 0.1;     // share of the training samples held out for refinement
  std::vector<int64_t> input_shape;     // synthetic: C,H,W generated; image-folder: C,H,W decoded
                                        // (empty = the model's input, else 1,28,28 / first image)
  int64_t synthetic_train = 6000;       // synthetic only: training samples generated
  int64_t synthetic_test = 1000;        // synthetic only: test samples generated
  PreprocessSpec preprocess;
  AugmentSpec augment;                  // training phases only; never validation or test data
  // Not part of the spec: where a worker keeps the uploaded data set `ref` (its folder, and the
  // file's name when one file was uploaded). The readers resolve the relative paths against it.
  std::string local_root;
  std::string local_file;
};

namespace spec_internal {
class ObjectReader;
// Parses `dataset` of the root object (absent = defaults).
absl::Status ParseDatasetSpec(ObjectReader& root, DatasetSpec* d);
}  // namespace spec_internal

// The section with its defaults filled in, as JSON.
nlohmann::json DatasetSpecToJson(const DatasetSpec& d);
// `preprocess` as the spec writes it: "auto" or {"scale", "mean", "std"}.
nlohmann::json PreprocessSpecToJson(const PreprocessSpec& p);

// Why an imported model needs dataset.preprocess, with examples (the refusal's message).
std::string PreprocessRequiredMessage();

// The files and folders `d` names, as {field, path} ("dataset.train.x", ...): what a service
// checks against its workers' --data-root. None for the catalog and for an uploaded data set (its
// paths lie inside it, which parsing checks).
std::vector<std::pair<std::string, std::string>> DatasetSpecPaths(const DatasetSpec& d);

// The spec with an uploaded data set's paths made absolute under its local_root (the readers
// call it): a spec without `ref` comes back as it is; one whose data set is not on this machine
// (`bitsearch run`, or a worker that has not fetched it) is refused with what to do instead.
absl::StatusOr<DatasetSpec> WithLocalPaths(const DatasetSpec& d);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATASET_SPEC_H_
