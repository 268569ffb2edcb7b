#include "search/job_checkpoint.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "search/tensor_quantizer.h"

namespace bitsearch {
namespace {

constexpr char kMagic[] = "BITSEARCH-CHECKPOINT-1\n";

void PutSection(std::string* out, const std::string& name, const std::string& bytes) {
  absl::StrAppend(out, name, "\n", bytes.size(), "\n");
  out->append(bytes);
}

bool GetSection(const std::string& in, size_t* pos, std::string* name, std::string* bytes) {
  size_t nl = in.find('\n', *pos);
  if (nl == std::string::npos) return false;
  *name = in.substr(*pos, nl - *pos);
  size_t nl2 = in.find('\n', nl + 1);
  if (nl2 == std::string::npos) return false;
  size_t size;
  try {
    size = std::stoull(in.substr(nl + 1, nl2 - nl - 1));
  } catch (...) {
    return false;
  }
  if (nl2 + 1 + size > in.size()) return false;
  *bytes = in.substr(nl2 + 1, size);
  *pos = nl2 + 1 + size;
  return true;
}

// Reads the sections of `bytes` into `c` up to the end marker or the first section cut short;
// returns whether the end marker was read. DATA_LOSS for a bad header or corrupt metadata.
absl::StatusOr<bool> ReadSections(const std::string& bytes, JobCheckpoint* c) {
  if (bytes.compare(0, sizeof(kMagic) - 1, kMagic) != 0) {
    return absl::DataLossError("checkpoint: not a bitsearch checkpoint (bad header)");
  }
  size_t pos = sizeof(kMagic) - 1;
  std::string name, data;
  while (GetSection(bytes, &pos, &name, &data)) {
    if (name == "meta") {
      c->meta = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
      if (c->meta.is_discarded()) return absl::DataLossError("checkpoint: corrupt metadata");
    } else if (name == "fp_state") {
      c->fp_state = data;
    } else if (name == "model_state") {
      c->model_state = data;
    } else if (name == "optimizer_state") {
      c->optimizer_state = data;
    } else if (name == "generator") {
      c->generator_state = torch::empty({static_cast<int64_t>(data.size())}, torch::kUInt8);
      std::memcpy(c->generator_state.data_ptr<uint8_t>(), data.data(), data.size());
    } else if (name == "end") {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string SerializeJobCheckpoint(const JobCheckpoint& c) {
  std::string out = kMagic;
  PutSection(&out, "meta", c.meta.dump());
  PutSection(&out, "fp_state", c.fp_state);
  PutSection(&out, "model_state", c.model_state);
  PutSection(&out, "optimizer_state", c.optimizer_state);
  auto g = c.generator_state.contiguous();
  PutSection(&out, "generator", std::string(reinterpret_cast<const char*>(g.data_ptr<uint8_t>()), g.numel()));
  PutSection(&out, "end", "");
  return out;
}

absl::StatusOr<JobCheckpoint> ParseJobCheckpoint(const std::string& bytes) {
  JobCheckpoint c;
  absl::StatusOr<bool> ended = ReadSections(bytes, &c);
  if (!ended.ok()) return ended.status();
  if (!*ended || !c.generator_state.defined()) {
    return absl::DataLossError("checkpoint: truncated (no end marker)");
  }
  return c;
}

absl::StatusOr<JobCheckpoint> ParseJobCheckpointHead(const std::string& bytes) {
  JobCheckpoint c;
  absl::StatusOr<bool> ended = ReadSections(bytes, &c);
  if (!ended.ok()) return ended.status();
  return c;
}

std::string SerializeModule(torch::nn::Module& module) {
  torch::serialize::OutputArchive archive;
  module.save(archive);
  std::ostringstream os;
  archive.save_to(os);
  return os.str();
}

torch::Device ModuleDevice(const torch::nn::Module& module) {
  for (const torch::Tensor& p : module.parameters()) return p.device();
  for (const torch::Tensor& b : module.buffers()) return b.device();
  return torch::kCPU;
}

void LoadModule(torch::nn::Module& module, const std::string& bytes) {
  torch::serialize::InputArchive archive;
  std::istringstream is(bytes);
  archive.load_from(is, ModuleDevice(module));
  module.load(archive);
  RefreshQuantizerHostState(module);
}

std::string SerializeOptimizer(torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream os;
  archive.save_to(os);
  return os.str();
}

void LoadOptimizer(torch::optim::Optimizer& optimizer, const std::string& bytes) {
  torch::serialize::InputArchive archive;
  std::istringstream is(bytes);
  // Adam's moments live beside their parameters.
  torch::Device device = torch::kCPU;
  for (const auto& group : optimizer.param_groups()) {
    if (!group.params().empty()) {
      device = group.params().front().device();
      break;
    }
  }
  archive.load_from(is, device);
  optimizer.load(archive);
}

}  // namespace bitsearch
