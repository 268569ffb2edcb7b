#include "workers/job_runner.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"

namespace bitsearch {
namespace {

// Forwards everything to the caller's observer and adds the runner's cancellation flag.
class CancellingObserver : public JobObserver {
 public:
  CancellingObserver(JobObserver* inner, const JobRunner* runner) : inner_(inner), runner_(runner) {}
  void OnPhaseStart(const std::string& phase, int64_t total) override {
    if (inner_) inner_->OnPhaseStart(phase, total);
  }
  void OnProgress(const Progress& p) override {
    if (inner_) inner_->OnProgress(p);
  }
  void OnPhaseEnd(const std::string& phase, double s, const std::string& summary) override {
    if (inner_) inner_->OnPhaseEnd(phase, s, summary);
  }
  void OnLog(const std::string& line) override {
    if (inner_) inner_->OnLog(line);
  }
  bool CancelRequested() override {
    return runner_->cancelled() || (inner_ && inner_->CancelRequested());
  }

 private:
  JobObserver* inner_;
  const JobRunner* runner_;
};

}  // namespace

absl::Status FileCheckpointStore::Save(const std::string& bytes) {
  return WriteFileAtomically(path_, bytes);
}

absl::StatusOr<std::optional<std::string>> FileCheckpointStore::Load() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::optional<std::string>();
  std::ostringstream buf;
  buf << in.rdbuf();
  return std::optional<std::string>(buf.str());
}

absl::Status FileCheckpointStore::Remove() {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  if (ec) return absl::InternalError(absl::StrCat(path_, ": cannot remove: ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> JobRunner::Run(const JobSpec& spec, JobObserver* observer,
                                              CheckpointStore* checkpoints) {
  CancellingObserver wrapped(observer, this);
  return RunJob(spec, options_, &wrapped, checkpoints);
}

}  // namespace bitsearch
