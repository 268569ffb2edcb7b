// Data sets held in memory as tensors, whatever format they come from (idx_reader.h,
// cifar_reader.h, array_reader.h, image_folder.h, synthetic.h): training samples are shuffled
// with the job's seed, limited and split into train / validation; then the preprocessing contract
// (preprocess.h) turns every split's raw values into network inputs.
// Thread-safety: immutable after loading.
#ifndef BITSEARCH_SEARCH_DATA_DATASET_H_
#define BITSEARCH_SEARCH_DATA_DATASET_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "search/data/idx_reader.h"
#include "search/data/preprocess.h"
#include "search/dataset_spec.h"

namespace bitsearch {

struct Split {
  torch::Tensor x;  // [N, C, H, W] float, preprocessed
  torch::Tensor y;  // [N] int64
  // Training-time augmentation; set on the training split only (RunPhase applies it, Evaluate
  // never does).
  AugmentSpec augment;
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

struct Dataset {
  std::string name;
  Split train, validation, test;
  torch::Tensor test_raw_x;          // the test samples before preprocessing (uint8 or float)
  std::vector<int64_t> input_shape;  // C, H, W
  int64_t classes = 0;
  Preprocessing preprocessing;       // as applied to every split
  torch::Tensor calibration;         // dataset.calibration's samples, preprocessed (or undefined)
  std::vector<std::string> notes;    // the reader's remarks (images skipped or converted, cache)
};

struct LoadOptions {
  // An imported model's C,H,W: shapes synthetic samples and decoded images.
  std::vector<int64_t> model_input_shape;
  std::string cache_dir;  // decoded image folders are cached here ("" = no cache)
  int threads = 0;        // decoding threads (0 = number of cores)
};

// The samples post-training steps calibrate on (range setting, CLE statistics, bias correction,
// AdaRound): the first `n` of dataset.calibration when the spec gives one, else of the training
// split (all of them when there are fewer).
torch::Tensor CalibrationSamples(const Dataset& data, int64_t n);

// Loads what `spec` names. Errors carry the file path (and array) and what is wrong with it.
absl::StatusOr<Dataset> LoadDataset(const DatasetSpec& spec, uint64_t seed, const LoadOptions& options = {});

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_DATASET_H_
