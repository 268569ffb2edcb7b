#include "search/pipeline/setup.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/blas_core.h"
#include "base/status_macros.h"
#include "latency_models/profile_json.h"
#include "latency_models/profile_registry.h"
#include "search/device.h"
#include "search/host_compute.h"
#include "search/pipeline/registry.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

absl::Status SetUpModelAndData(JobContext& job) {
  const JobSpec& spec = job.spec;
  if (!spec.model.onnx.empty()) {  // refused here, before any training, when unsupported
    auto imported = ImportOnnxFile(spec.model.onnx);
    if (!imported.ok()) return imported.status();
    job.imported = std::move(*imported);
  }
  LoadOptions load;
  if (job.imported) load.model_input_shape = job.imported->input_shape;
  if (!job.options.cache_dir.empty()) load.cache_dir = job.options.cache_dir + "/data";
  load.threads = job.state.threads;
  auto data = LoadDataset(spec.dataset, spec.search.seed, load);
  if (!data.ok()) return data.status();
  job.data = std::move(*data);
  const Dataset& d = job.data;
  for (const std::string& note : d.notes) job.Log(absl::StrCat("data: ", note));
  job.state.preprocessing = d.preprocessing.ToJson();
  job.state.preprocessing["in_exported_model"] = spec.export_options.include_preprocessing;
  job.state.data = {{"name", d.name}, {"classes", d.classes}, {"input_shape", d.input_shape},
                    {"train", d.train.size()}, {"validation", d.validation.size()},
                    {"test", d.test.size()}, {"notes", d.notes}};
  if (job.imported) {
    const ImportedModel& m = *job.imported;
    if (d.input_shape != m.input_shape || m.classes < d.classes) {
      const auto& mi = m.input_shape;
      const auto& di = d.input_shape;
      // NHWC arrays read as NCHW show up as a rotated shape: say which field fixes it.
      const bool rotated = di[0] == mi[1] && di[1] == mi[2] && di[2] == mi[0];
      return absl::InvalidArgumentError(absl::StrFormat(
          "model.onnx: the model takes %dx%dx%d inputs and gives %d logits; the data set has "
          "%dx%dx%d samples and %d classes%s", mi[0], mi[1], mi[2], m.classes, di[0], di[1], di[2],
          d.classes, rotated ? " (channels last? set dataset.layout to \"NHWC\")" : ""));
    }
    job.graph = m.graph;
  } else {
    auto graph = BuildZooModel(spec.model.zoo, d.input_shape, d.classes, spec.model.width);
    if (!graph.ok()) return graph.status();
    job.graph = std::move(*graph);
  }
  job.folded_graph = FoldedStructure(job.graph);
  return absl::OkStatus();
}

absl::Status LoadLatencyModel(JobContext& job) {
  if (!job.options.profile_json.empty()) {  // a worker gets the profile from the server
    auto parsed = ParseProfileJson(job.options.profile_json);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("hardware.profile: ", parsed.status().message()));
    }
    job.latency = std::move(parsed->model);
    return absl::OkStatus();
  }
  const std::string& dir = job.options.profiles_dir;
  auto model = LoadProfile(job.spec.hardware.profile, dir.empty() ? DefaultProfilesDir() : dir);
  if (!model.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("hardware.profile: ", model.status().message()));
  }
  job.latency = std::move(*model);
  return absl::OkStatus();
}

// A stored checkpoint that does not parse whole, on a run that restarts rather than fails
// (RunOptions::restart_unreadable_checkpoint: a worker, whose server keeps one checkpoint per job,
// so no older one is left to fall back to). The least lossy restart left: the metadata and the
// folded float model come first in a checkpoint, so a cut further on (in the network or optimizer
// state) still holds them whole, and with them the job keeps its pretraining, the phase every
// later one starts from and the longest to redo, and runs the later phases again from their
// start (their networks, optimizer and noise state lie past the cut). Without a readable float
// model, the job starts over.
void RestartFromUnreadableCheckpoint(JobContext& job, const std::string& bytes,
                                     const absl::Status& why) {
  job.Log(absl::StrCat("WARNING: the checkpoint to resume from is unreadable (", why.message(),
                       "; ", bytes.size(), " bytes)"));
  auto head = ParseJobCheckpointHead(bytes);
  absl::StatusOr<JobState> state = absl::DataLossError("no metadata");
  if (head.ok() && !head->fp_state.empty() &&
      head->meta.value("spec", nlohmann::json()) == job.state.spec) {
    state = JobState::FromJson(head->meta);
  }
  if (!state.ok() || !state->Done(kPhasePretrain) || !state->accuracy_fp32) {
    job.Log("restarting the job from its start: the checkpoint holds no whole float model of it");
    return;
  }
  try {  // whole by its length, but only a load shows that the bytes are a model of this graph
    Network net = job.NewDefaultNetwork();
    LoadModule(*net, head->fp_state);
  } catch (const std::exception& e) {
    job.Log(absl::StrCat("restarting the job from its start: the checkpoint's float model does "
                         "not load (", e.what(), ")"));
    return;
  }
  job.state.done = {kPhasePretrain};
  job.state.timings[kPhasePretrain] = state->timings[kPhasePretrain];
  job.state.accuracy_fp32 = state->accuracy_fp32;
  job.state.pretrain_cache = state->pretrain_cache;
  job.state.warnings = state->warnings;  // only pretraining warns (an imported model near chance)
  job.fp_state = std::move(head->fp_state);
  job.handoff_state = job.fp_state;
  job.Log(absl::StrFormat("restarting after pretraining, from the float model the checkpoint "
                          "still holds (fp32 top-1 %.2f%%)", *job.state.accuracy_fp32));
}

absl::Status LoadResumeCheckpoint(JobContext& job) {
  if (!job.checkpoints || !job.options.resume) return absl::OkStatus();
  auto bytes = job.checkpoints->Load();
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return absl::OkStatus();
  auto ckpt = ParseJobCheckpoint(**bytes);
  if (absl::IsDataLoss(ckpt.status()) && job.options.restart_unreadable_checkpoint) {
    RestartFromUnreadableCheckpoint(job, **bytes, ckpt.status());
    return absl::OkStatus();
  }
  if (!ckpt.ok()) return ckpt.status();
  if (ckpt->meta.value("spec", nlohmann::json()) != job.state.spec) {
    return absl::FailedPreconditionError(
        "the checkpoint belongs to a different spec; delete it or run without resuming");
  }
  auto state = JobState::FromJson(ckpt->meta);
  if (!state.ok()) return state.status();
  state->threads = job.state.threads;
  state->device = job.state.device;  // a resumed job may continue on another device
  job.state = std::move(*state);
  job.resume_phase = job.state.phase;
  job.resume_cursor = job.state.cursor;
  job.fp_state = ckpt->fp_state;
  job.handoff_state = ckpt->model_state;
  job.generator.set_state(ckpt->generator_state);
  job.Log(absl::StrCat("resuming from checkpoint: phase ", job.resume_phase, ", epoch ",
                       job.resume_cursor.epoch + 1, ", step ", job.resume_cursor.step_in_epoch));
  job.resume = std::move(*ckpt);
  return absl::OkStatus();
}

}  // namespace

absl::Status SetUpJob(JobContext& job) {
  const JobSpec& spec = job.spec;
  auto device = ParseDevice(job.options.device);
  if (!device.ok()) return device.status();
  job.device = *device;
  job.state.device = device->str();
  int threads = job.options.threads > 0
                    ? job.options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ConfigureHostCompute(threads);
  job.state.threads = threads;
  job.state.blas_core = BlasCoreName();
  job.state.spec = JobSpecToJson(spec);
  BS_RETURN_IF_ERROR(SetUpModelAndData(job));
  auto method = MakeSearchMethod(spec.search.method);
  if (!method.ok()) return method.status();
  job.method = std::move(*method);
  job.generator = at::make_generator<at::CPUGeneratorImpl>(spec.search.seed + 1);
  torch::manual_seed(spec.search.seed);
  BS_RETURN_IF_ERROR(LoadLatencyModel(job));
  return LoadResumeCheckpoint(job);
}

}  // namespace bitsearch
