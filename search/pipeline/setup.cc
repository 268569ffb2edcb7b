#include "search/pipeline/setup.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/blas_threads.h"
#include "base/status_macros.h"
#include "latency_models/profile_json.h"
#include "latency_models/profile_registry.h"
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

absl::Status LoadResumeCheckpoint(JobContext& job) {
  if (!job.checkpoints || !job.options.resume) return absl::OkStatus();
  auto bytes = job.checkpoints->Load();
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return absl::OkStatus();
  auto ckpt = ParseJobCheckpoint(**bytes);
  if (!ckpt.ok()) return ckpt.status();
  if (ckpt->meta.value("spec", nlohmann::json()) != job.state.spec) {
    return absl::FailedPreconditionError(
        "the checkpoint belongs to a different spec; delete it or run without resuming");
  }
  auto state = JobState::FromJson(ckpt->meta);
  if (!state.ok()) return state.status();
  state->threads = job.state.threads;
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
  int threads = job.options.threads > 0
                    ? job.options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  SetBlasThreads(threads);  // OpenBLAS keeps a thread per core otherwise (base/blas_threads.h)
  job.state.threads = threads;
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
