// What every data set reader returns: the train and test samples as the files hold them, before
// any shuffling, splitting or preprocessing (dataset.h does those once for every format).
// Thread-safety: plain values.
#ifndef BITSEARCH_SEARCH_DATA_RAW_DATA_H_
#define BITSEARCH_SEARCH_DATA_RAW_DATA_H_

#include <torch/torch.h>

#include <string>
#include <vector>

namespace bitsearch {

struct RawSplit {
  torch::Tensor x;  // [N, C, H, W], uint8 (images) or float32: the data set's raw values
  torch::Tensor y;  // [N] int64 class ids
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

struct RawData {
  std::string name;                // what the result calls the data set ("fashion-mnist", "npz:PATH")
  RawSplit train, test;
  int64_t classes = 0;             // class count (labels are 0..classes-1)
  std::vector<std::string> notes;  // what a user should know (images skipped, converted, cached)
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_RAW_DATA_H_
