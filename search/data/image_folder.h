// The "image-folder" data set format: DIR/train/<class>/*.png|*.jpg|*.jpeg and DIR/test/<class>/...
// (or DIR/val/...), one subfolder per class, class ids in sorted folder-name order (what
// torchvision's ImageFolder does). Images are decoded with OpenCV's imgcodecs on several threads,
// converted to the wanted channel count (grayscale <-> colour, counted in the notes), resized so
// they cover H x W and center-cropped to it, and kept as uint8 [N, C, H, W].
//
// Decoded tensors are cached (ImageFolderOptions::cache_dir) under a key made of the folder, the
// wanted shape and every file's name, size and modification time, so a second job on an unchanged
// folder reads one file instead of decoding every image.
// Thread-safety: ReadImageFolder may run concurrently; it starts and joins its own threads.
#ifndef BITSEARCH_SEARCH_DATA_IMAGE_FOLDER_H_
#define BITSEARCH_SEARCH_DATA_IMAGE_FOLDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "search/data/raw_data.h"

namespace bitsearch {

struct ImageFolderOptions {
  std::vector<int64_t> shape;  // C (1 or 3), H, W; empty = the first training image's
  bool skip_corrupt = false;   // false: a file that does not decode is an error naming it
  int threads = 0;             // decoding threads; 0 = number of cores
  std::string cache_dir;       // where decoded tensors are kept; "" = no cache
};

absl::StatusOr<RawData> ReadImageFolder(const std::string& dir, const ImageFolderOptions& options);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_IMAGE_FOLDER_H_
