#include "search/pipeline/pretrain_cache.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_format.h"
#include "base/atomic_file.h"
#include "search/job_checkpoint.h"
#include "search/pretrain_key.h"

namespace bitsearch {

std::string PretrainCachePath(const std::string& cache_dir, const nlohmann::json& spec) {
  if (cache_dir.empty()) return "";
  // One key for the cache and for sweeps (search/pretrain_key.h): what determines the float model.
  const uint64_t h = PretrainKeyHash(spec);
  std::string zoo = spec["model"].value("zoo", "");
  return absl::StrFormat("%s/%s-%016x.fp", cache_dir, zoo, h);
}

// An entry is a job checkpoint holding the float network and {"accuracy_fp32": ...} as metadata.
std::optional<CachedPretrain> ParseCachedPretrain(const std::string& bytes) {
  auto cached = ParseJobCheckpoint(bytes);
  if (!cached.ok() || !cached->meta.contains("accuracy_fp32")) return std::nullopt;
  return CachedPretrain{cached->fp_state, cached->meta["accuracy_fp32"].get<double>()};
}

std::string SerializeCachedPretrain(const CachedPretrain& entry) {
  JobCheckpoint ckpt;
  ckpt.meta = {{"accuracy_fp32", entry.accuracy_fp32}};
  ckpt.fp_state = entry.fp_state;
  ckpt.generator_state = torch::zeros({1}, torch::kUInt8);  // unused: nothing resumes from it
  return SerializeJobCheckpoint(ckpt);
}

std::optional<CachedPretrain> LoadCachedPretrain(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseCachedPretrain(bytes);
}

absl::Status StoreCachedPretrain(const std::string& path, const CachedPretrain& entry) {
  return WriteFileAtomically(path, SerializeCachedPretrain(entry));
}

}  // namespace bitsearch
