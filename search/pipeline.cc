#include "search/pipeline.h"

#include <chrono>
#include <fstream>
#include <iterator>
#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "search/cost.h"
#include "base/atomic_file.h"
#include "latency_models/profile_json.h"
#include "latency_models/profile_registry.h"
#include "search/data/dataset.h"
#include "search/hardware.h"
#include "search/job_checkpoint.h"
#include "search/network.h"
#include "search/onnx/onnx_export.h"
#include "search/onnx/onnx_import.h"
#include "search/prior.h"
#include "search/result.h"
#include "search/trainer.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Adam over parameter groups with their own learning rates.
struct Optim {
  std::unique_ptr<torch::optim::Adam> adam;
  std::vector<double> base_lr;
  void SetLr(size_t group, double lr) {
    static_cast<torch::optim::AdamOptions&>(adam->param_groups()[group].options()).lr(lr);
  }
};

Optim MakeAdam(const std::vector<std::pair<std::vector<torch::Tensor>, double>>& groups) {
  Optim o;
  std::vector<torch::optim::OptimizerParamGroup> pg;
  for (const auto& [params, lr] : groups) {
    pg.emplace_back(params, std::make_unique<torch::optim::AdamOptions>(lr));
    o.base_lr.push_back(lr);
  }
  o.adam = std::make_unique<torch::optim::Adam>(pg, torch::optim::AdamOptions(1e-3));
  return o;
}

// Learning-rate factor of a cosine decay from 1 at step 0 to 0 at the last step.
double CosineFactor(int64_t step, int64_t total) {
  return 0.5 * (1 + std::cos(M_PI * step / std::max<int64_t>(1, total)));
}

int BaselineBits(const std::string& name, char which) {
  // "w4a8": weight bits after 'w', activation bits after 'a'.
  size_t at = name.find(which);
  return std::stoi(name.substr(at + 1));
}

// One job's state machine. Every phase runs from scratch, or from the checkpoint when the job
// stopped inside it; phases already done are skipped on resume.
class JobRun {
 public:
  JobRun(const JobSpec& spec, const RunOptions& options, JobObserver* observer,
         CheckpointStore* checkpoints)
      : spec_(spec), options_(options), observer_(observer), checkpoints_(checkpoints) {}

  absl::StatusOr<json> Run() {
    auto start = Clock::now();
    absl::Status st = Setup();
    if (st.ok()) st = Pretrain();
    if (st.ok() && options_.pretrain_only) return FinishPretrainOnly(start);
    if (st.ok()) st = Search();
    if (st.ok()) st = Refine();
    if (st.ok() && !Done(kPhaseFinetune)) {
      double acc = 0;
      st = Finetune(kPhaseFinetune, BitConfigFromJson(meta_["config_final"]), &acc);
      if (st.ok()) {
        meta_["accuracy_final"] = acc;
        st = SaveBoundary(BaselinePhase(0));
      }
    }
    for (size_t b = 0; st.ok() && b < spec_.baselines.size(); ++b) {
      const std::string phase = BaselinePhase(b);
      if (Done(phase)) continue;
      const std::string& name = spec_.baselines[b];
      std::vector<std::string> names;
      for (int l : folded_graph_.Layers()) names.push_back(folded_graph_.nodes[l].name);
      BitConfig config = UniformBits(names, BaselineBits(name, 'w'), BaselineBits(name, 'a'));
      double acc = 0;
      st = Finetune(phase, config, &acc);
      if (st.ok()) {
        config.layers[0].act_bits = 8;  // the network input is always 8-bit
        meta_["baselines"][name] = {{"accuracy", acc}, {"config", BitConfigToJson(config)}};
        st = SaveBoundary(BaselinePhase(b + 1));
      }
    }
    if (!st.ok()) return st;
    RecordLatency();
    meta_["timings"]["total"] = meta_["timings"].value("total", 0.0) + Seconds(start);
    json result = BuildResult(folded_graph_, meta_);
    if (meta_.contains("export")) result["export"] = meta_["export"];
    return result;
  }

 private:
  std::string BaselinePhase(size_t b) const {
    return b < spec_.baselines.size() ? "baseline:" + spec_.baselines[b] : "end";
  }

  absl::Status Setup() {
    int threads = options_.threads > 0
                      ? options_.threads
                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    meta_ = {{"done", json::object()}, {"timings", json::object()}, {"threads", threads},
             {"spec", JobSpecToJson(spec_)}, {"baselines", json::object()}};
    if (!spec_.model.onnx.empty()) {  // refused here, before any training, when unsupported
      auto imported = ImportOnnxFile(spec_.model.onnx);
      if (!imported.ok()) return imported.status();
      imported_ = std::move(*imported);
    }
    LoadOptions load;
    if (imported_) load.model_input_shape = imported_->input_shape;
    if (!options_.cache_dir.empty()) load.cache_dir = options_.cache_dir + "/data";
    load.threads = threads;
    auto data = LoadDataset(spec_.dataset, spec_.search.seed, load);
    if (!data.ok()) return data.status();
    data_ = std::move(*data);
    for (const std::string& note : data_.notes) Log(absl::StrCat("data: ", note));
    meta_["preprocessing"] = data_.preprocessing.ToJson();
    meta_["preprocessing"]["in_exported_model"] = spec_.export_options.include_preprocessing;
    meta_["data"] = {{"name", data_.name}, {"classes", data_.classes}, {"input_shape", data_.input_shape},
                     {"train", data_.train.size()}, {"validation", data_.validation.size()},
                     {"test", data_.test.size()}, {"notes", data_.notes}};
    if (imported_) {
      if (data_.input_shape != imported_->input_shape || imported_->classes < data_.classes) {
        const auto& m = imported_->input_shape;
        const auto& d = data_.input_shape;
        // NHWC arrays read as NCHW show up as a rotated shape: say which field fixes it.
        const bool rotated = d[0] == m[1] && d[1] == m[2] && d[2] == m[0];
        return absl::InvalidArgumentError(absl::StrFormat(
            "model.onnx: the model takes %dx%dx%d inputs and gives %d logits; the data set has "
            "%dx%dx%d samples and %d classes%s", m[0], m[1], m[2], imported_->classes, d[0], d[1], d[2],
            data_.classes, rotated ? " (channels last? set dataset.layout to \"NHWC\")" : ""));
      }
      graph_ = imported_->graph;
    } else {
      auto graph = BuildZooModel(spec_.model.zoo, data_.input_shape, data_.classes, spec_.model.width);
      if (!graph.ok()) return graph.status();
      graph_ = std::move(*graph);
    }
    folded_graph_ = FoldedStructure(graph_);
    net_options_.max_bits = spec_.search.max_bits;
    net_options_.prune = spec_.search.prune;
    net_options_.gate_init = spec_.search.gate_init;
    generator_ = at::make_generator<at::CPUGeneratorImpl>(spec_.search.seed + 1);
    torch::manual_seed(spec_.search.seed);
    absl::Status profile = LoadLatencyModel();
    if (!profile.ok()) return profile;

    if (!checkpoints_ || !options_.resume) return absl::OkStatus();
    auto bytes = checkpoints_->Load();
    if (!bytes.ok()) return bytes.status();
    if (!bytes->has_value()) return absl::OkStatus();
    auto ckpt = ParseJobCheckpoint(**bytes);
    if (!ckpt.ok()) return ckpt.status();
    if (ckpt->meta.value("spec", json()) != meta_["spec"]) {
      return absl::FailedPreconditionError(
          "the checkpoint belongs to a different spec; delete it or run without resuming");
    }
    ckpt->meta["threads"] = threads;
    meta_ = ckpt->meta;
    fp_state_ = ckpt->fp_state;
    generator_.set_state(ckpt->generator_state);
    Log(absl::StrCat("resuming from checkpoint: phase ", meta_.value("phase", "?"), ", epoch ",
                     meta_.value("epoch", 0) + 1, ", step ", meta_.value("step_in_epoch", 0)));
    resume_ = std::move(*ckpt);
    return absl::OkStatus();
  }

  absl::Status LoadLatencyModel() {
    if (!options_.profile_json.empty()) {
      auto parsed = ParseProfileJson(options_.profile_json);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("hardware.profile: ", parsed.status().message()));
      }
      latency_ = std::move(parsed->model);
      return absl::OkStatus();
    }
    std::string dir = options_.profiles_dir.empty() ? DefaultProfilesDir() : options_.profiles_dir;
    auto model = LoadProfile(spec_.hardware.profile, dir);
    if (!model.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("hardware.profile: ", model.status().message()));
    }
    latency_ = std::move(*model);
    return absl::OkStatus();
  }

  // The prior's latency table: every layer at every (a, w) in {2..32}^2. Pairs a profile does
  // not cover (a table measured at 2/4/8 only) take the row's highest latency, a pessimistic
  // stand-in the search's max_bits keeps out of play anyway.
  absl::StatusOr<LatencyPrior::Table> PriorTable() {
    LatencyPrior::Table table;
    const int bits[5] = {2, 4, 8, 16, 32};
    for (int layer : folded_graph_.Layers()) {
      LayerSignature sig = SignatureOf(folded_graph_, layer);
      std::array<std::array<double, 5>, 5> t{};
      double worst = 0;
      std::vector<std::pair<int, int>> missing;
      for (int a = 0; a < 5; ++a) {
        for (int w = 0; w < 5; ++w) {
          auto lat = latency_->Latency(sig, bits[a], bits[w]);
          if (lat.ok()) {
            t[a][w] = *lat;
            worst = std::max(worst, *lat);
          } else {
            missing.push_back({a, w});
          }
        }
      }
      if (missing.size() == 25) {
        return absl::InvalidArgumentError(absl::StrCat("hardware.profile: no latency for layer ",
                                                       folded_graph_.nodes[layer].name));
      }
      for (auto [a, w] : missing) t[a][w] = worst;
      table.push_back(t);
    }
    return table;
  }

  void Log(const std::string& line) {
    if (observer_) observer_->OnLog(line);
  }
  bool Done(const std::string& phase) const { return meta_["done"].contains(phase); }
  void MarkDone(const std::string& phase, double seconds, const std::string& summary) {
    meta_["done"][phase] = true;
    meta_["timings"][phase] = meta_["timings"].value(phase, 0.0) + seconds;
    if (observer_) observer_->OnPhaseEnd(phase, seconds, summary);
  }
  bool Resuming(const std::string& phase) const {
    return resume_ && resume_->meta.value("phase", "") == phase;
  }
  PhaseCursor ResumeCursor() const {
    return {resume_->meta.value("epoch", 0), resume_->meta.value("step_in_epoch", int64_t{0})};
  }

  // Writes one checkpoint: the job's metadata at `phase`/`cursor` plus the given states.
  absl::Status WriteCheckpoint(const std::string& phase, const PhaseCursor& cursor,
                               std::string model_state, std::string optimizer_state) {
    meta_["phase"] = phase;
    meta_["epoch"] = cursor.epoch;
    meta_["step_in_epoch"] = cursor.step_in_epoch;
    JobCheckpoint ckpt;
    ckpt.meta = meta_;
    ckpt.fp_state = fp_state_;
    ckpt.generator_state = generator_.get_state();
    ckpt.model_state = std::move(model_state);
    ckpt.optimizer_state = std::move(optimizer_state);
    return checkpoints_->Save(SerializeJobCheckpoint(ckpt));
  }
  // A checkpoint inside a phase (nothing is serialized when the job has no store).
  absl::Status Save(const std::string& phase, const PhaseCursor& cursor, torch::nn::Module* net,
                    torch::optim::Optimizer* optimizer) {
    if (!checkpoints_) return absl::OkStatus();
    return WriteCheckpoint(phase, cursor, net ? SerializeModule(*net) : "",
                           optimizer ? SerializeOptimizer(*optimizer) : "");
  }
  // A checkpoint between phases: `next` starts from next_start_state_ (the folded FP or the
  // searched network), or from nothing stored when that is empty.
  absl::Status SaveBoundary(const std::string& next) {
    if (!checkpoints_) return absl::OkStatus();
    return WriteCheckpoint(next, {}, next_start_state_, "");
  }
  // The state a phase starts from when it is resumed, or `fresh` when it starts now.
  const std::string& StartState(const std::string& phase, const std::string& fresh) const {
    return Resuming(phase) && !resume_->model_state.empty() ? resume_->model_state : fresh;
  }

  // Where this job's pretrained FP model is cached: a hash of everything that determines it.
  std::string PretrainCachePath() const {
    if (options_.cache_dir.empty()) return "";
    const json& full = meta_["spec"];
    json key = {{"format", "fp-cache-2"}, {"model", full["model"]}, {"dataset", full["dataset"]},
                {"pretrain", full["pretrain"]}, {"seed", full["search"]["seed"]},
                {"prune", full["search"]["prune"]}, {"max_bits", full["search"]["max_bits"]},
                {"gate_init", full["search"]["gate_init"]}};
    uint64_t h = 1469598103934665603ull;
    for (char c : key.dump()) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
    return absl::StrFormat("%s/%s-%016x.fp", options_.cache_dir, spec_.model.zoo, h);
  }

  // Reuses a cached FP model: training is deterministic in the seed, so the result is the same.
  bool LoadCachedPretrain(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return UsePretrainEntry(bytes, path);
  }

  // Starts from a pretrain-cache entry (a file or RunOptions::pretrained_model) named `source`.
  bool UsePretrainEntry(const std::string& bytes, const std::string& source) {
    auto cached = ParseJobCheckpoint(bytes);
    if (!cached.ok() || !cached->meta.contains("accuracy_fp32")) return false;
    fp_state_ = cached->fp_state;
    meta_["accuracy_fp32"] = cached->meta["accuracy_fp32"];
    meta_["pretrain_cache"] = source;
    return true;
  }

  // The float model as a pretrain-cache entry.
  std::string PretrainEntry() {
    JobCheckpoint entry;
    entry.meta = {{"accuracy_fp32", meta_["accuracy_fp32"]}};
    entry.fp_state = fp_state_;
    entry.generator_state = generator_.get_state();
    return SerializeJobCheckpoint(entry);
  }

  // RunOptions::pretrain_only: the float model goes to export_dir as kPretrainedModelFile; the
  // result holds its accuracy and timings only.
  absl::StatusOr<json> FinishPretrainOnly(Clock::time_point start) {
    if (!options_.export_dir.empty()) {
      absl::Status written = WriteFileAtomically(
          absl::StrCat(options_.export_dir, "/", kPretrainedModelFile), PretrainEntry());
      if (!written.ok()) return written;
    }
    meta_["timings"]["total"] = meta_["timings"].value("total", 0.0) + Seconds(start);
    return json{{"name", spec_.name},
                {"accuracy", {{"fp32", meta_["accuracy_fp32"]}}},
                {"timings", meta_["timings"]}};
  }

  absl::Status Pretrain() {
    const std::string phase = kPhasePretrain;
    if (Done(phase)) return absl::OkStatus();
    auto start = Clock::now();
    const std::string cache = imported_ ? "" : PretrainCachePath();
    if (!imported_ && !Resuming(phase) && !options_.pretrained_model.empty()) {
      if (UsePretrainEntry(options_.pretrained_model, "the shared pretraining")) {
        Log("pretrained model taken from the shared pretraining (not trained again)");
        MarkDone(phase, Seconds(start),
                 absl::StrFormat("fp32 top-1 %.2f%% (shared)", meta_["accuracy_fp32"].get<double>()));
        next_start_state_ = fp_state_;
        return SaveBoundary(kPhaseSearch);
      }
      Log("the shared pretrained model is unreadable; training again");
    }
    if (!cache.empty() && !Resuming(phase) && LoadCachedPretrain(cache)) {
      Log(absl::StrCat("pretrained model reused from ", cache));
      MarkDone(phase, Seconds(start),
               absl::StrFormat("fp32 top-1 %.2f%% (cached)", meta_["accuracy_fp32"].get<double>()));
      next_start_state_ = fp_state_;
      return SaveBoundary(kPhaseSearch);
    }
    Network net(graph_, net_options_);
    net->SetQuantMode(BBQuantizerImpl::Mode::kBypass);
    if (imported_) {  // the ONNX initializers are the pretrained weights: no training
      absl::Status loaded = LoadImportedWeights(*imported_, *net);
      if (!loaded.ok()) return loaded;
      // The model as the user gave it, before anything else touches it.
      meta_["accuracy_fp32"] = Evaluate(*net, data_.test).accuracy;
      WarnIfNearChance(meta_["accuracy_fp32"].get<double>());
    }
    Optim opt = MakeAdam({{net->WeightParameters(), spec_.pretrain.lr}});
    PhaseCursor cursor;
    if (Resuming(phase) && !resume_->optimizer_state.empty()) {
      LoadModule(*net, resume_->model_state);
      LoadOptimizer(*opt.adam, resume_->optimizer_state);
      cursor = ResumeCursor();
    }
    PhasePlan plan;
    plan.name = phase;
    plan.epochs = imported_ ? 0 : spec_.pretrain.epochs;
    plan.batch_size = spec_.pretrain.batch_size;
    plan.seed = spec_.search.seed;
    // Cosine decay: a few epochs at constant Adam 1e-3 stop short of what the model can reach
    // (Fashion-MNIST LeNet-5: 88.94% after 3 epochs); annealing buys the last point cheaply.
    plan.schedule = [&](int64_t step, int64_t total) {
      opt.SetLr(0, opt.base_lr[0] * CosineFactor(step, total));
    };
    absl::Status st = RunPhase(*net, *opt.adam, data_.train, plan, cursor, observer_,
                               spec_.checkpoint_every, [&](const PhaseCursor& c) {
                                 return Save(phase, c, net.get(), opt.adam.get());
                               });
    if (!st.ok()) return st;
    // BN folded into the convs: the FP reference every later phase starts from.
    Network folded = FoldBatchNorm(*net);
    fp_state_ = SerializeModule(*folded);
    if (!imported_) meta_["accuracy_fp32"] = Evaluate(*folded, data_.test).accuracy;
    const double fp_accuracy = meta_["accuracy_fp32"].get<double>();
    if (!cache.empty()) {
      absl::Status written = WriteFileAtomically(cache, PretrainEntry());
      if (!written.ok()) Log(absl::StrCat("pretrained model not cached: ", written.message()));
    }
    MarkDone(phase, Seconds(start), absl::StrFormat("fp32 top-1 %.2f%%%s", fp_accuracy,
                                                    meta_.contains("warnings") ? " (NEAR CHANCE: see the warning)" : ""));
    next_start_state_ = fp_state_;
    return SaveBoundary(kPhaseSearch);
  }

  // An imported model near chance on the test data has almost always been fed other inputs
  // than it was trained on; say so loudly rather than let the search train the problem away.
  void WarnIfNearChance(double accuracy) {
    const double chance = 100.0 / std::max<int64_t>(1, data_.classes);
    if (accuracy >= chance + 0.1 * (100.0 - chance)) return;
    const std::string warning = absl::StrFormat(
        "the imported model scores %.2f%% top-1 on the test data before any change, near chance (%.1f%% for "
        "%d classes). The usual cause is a dataset.preprocess other than the model was trained with (this job "
        "applies %s); check it before trusting this job's figures.",
        accuracy, chance, data_.classes, data_.preprocessing.ToJson().dump());
    meta_["warnings"].push_back(warning);
    Log("WARNING: " + warning);
  }

  absl::Status Search() {
    const std::string phase = kPhaseSearch;
    if (Done(phase)) return absl::OkStatus();
    auto start = Clock::now();
    Network net(folded_graph_, net_options_);
    net->SetGenerator(generator_);
    LoadModule(*net, StartState(phase, fp_state_));
    if (!net->act_quantizers()[0]->range_initialized()) {
      net->InitRanges(data_.train.x.slice(0, 0, spec_.search.batch_size));
    }
    net->SetQuantMode(BBQuantizerImpl::Mode::kSearch);
    Optim opt = MakeAdam({{net->WeightParameters(), spec_.search.lr},
                          {net->GateParameters(), spec_.search.gate_lr},
                          {net->RangeParameters(), spec_.search.range_lr}});
    PhaseCursor cursor;
    if (Resuming(phase) && !resume_->optimizer_state.empty()) {
      LoadOptimizer(*opt.adam, resume_->optimizer_state);
      cursor = ResumeCursor();
    }
    std::unique_ptr<Prior> prior;
    if (spec_.search.regularizer == "latency") {
      auto table = PriorTable();
      if (!table.ok()) return table.status();
      prior = std::make_unique<LatencyPrior>(*net, std::move(*table), spec_.search.max_bits);
    } else {
      prior = std::make_unique<BopsPrior>(*net);
    }
    const double mu = spec_.search.mu;
    PhasePlan plan;
    plan.name = phase;
    plan.epochs = spec_.search.epochs;
    plan.batch_size = spec_.search.batch_size;
    plan.seed = spec_.search.seed;
    plan.schedule = [&](int64_t step, int64_t total) {
      // Weights' learning rate: constant for 2/3 of the steps, then linear decay to 0.
      double knee = total * 2.0 / 3.0;
      double f = step < knee ? 1.0 : std::max(0.0, (total - step) / (total - knee));
      opt.SetLr(0, opt.base_lr[0] * f);
    };
    plan.regularizer = [&]() { return mu * prior->Compute(*net); };
    plan.after_step = [&]() { net->ApplyPermanentOff(); };
    plan.decorate = [&](Progress& p) {
      auto [wb, ab] = ExpectedBits(*net);
      p.expected_weight_bits = wb;
      p.expected_act_bits = ab;
      p.relative_bops_percent = ComputeCosts(folded_graph_, net->Decide()).relative_bops_percent;
    };
    absl::Status st = RunPhase(*net, *opt.adam, data_.train, plan, cursor, observer_,
                               spec_.checkpoint_every, [&](const PhaseCursor& c) {
                                 return Save(phase, c, net.get(), opt.adam.get());
                               });
    if (!st.ok()) return st;
    BitConfig searched = net->Decide();
    net->SetFixed(searched);
    EvalResult acc = Evaluate(*net, data_.test);
    meta_["accuracy_searched"] = acc.accuracy;
    meta_["config_searched"] = BitConfigToJson(searched);
    double bops = ComputeCosts(folded_graph_, searched).relative_bops_percent;
    MarkDone(phase, Seconds(start),
             absl::StrFormat("searched top-1 %.2f%% at %.3f%% relative BOPs", acc.accuracy, bops));
    next_start_state_ = SerializeModule(*net);
    return SaveBoundary(kPhaseRefine);
  }

  // A network at `config`, with the searched ranges and weights (the refinement's evaluations).
  Network SearchedNetworkAt(const BitConfig& config) {
    Network net(folded_graph_, net_options_);
    net->SetGenerator(generator_);
    LoadModule(*net, next_start_state_);
    net->SetFixed(config);
    return net;
  }

  absl::Status Refine() {
    const std::string phase = kPhaseRefine;
    if (Done(phase)) return absl::OkStatus();
    auto start = Clock::now();
    if (observer_) observer_->OnPhaseStart(phase, 0);
    if (next_start_state_.empty() && resume_) next_start_state_ = resume_->model_state;
    BitConfig searched = BitConfigFromJson(meta_["config_searched"]);
    meta_["config_final"] = meta_["config_searched"];
    if (spec_.refine.method == "none") {
      meta_["refine"] = {{"method", "none"}, {"applied", false}};
      MarkDone(phase, Seconds(start), "skipped (refine.method none)");
      return SaveBoundary(kPhaseFinetune);
    }
    std::vector<int> candidates;
    for (int b : {2, 4, 8, 16, 32}) {
      if (b <= std::max(8, spec_.search.max_bits)) candidates.push_back(b);
    }
    refine::RefineProblem problem = MakeRefineProblem(folded_graph_, searched, candidates);
    refine::RefineOptions ropts;
    ropts.latency_budget = spec_.refine.latency_budget;
    ropts.max_accuracy_drop = spec_.refine.max_accuracy_drop;
    refine::EvalFn eval = [&](const refine::BitConfig& rc) -> absl::StatusOr<refine::EvalPoint> {
      Network net = SearchedNetworkAt(FromRefineConfig(folded_graph_, searched, rc));
      EvalResult r = Evaluate(*net, data_.validation.size() > 0 ? data_.validation : data_.test);
      return refine::EvalPoint{r.loss, r.accuracy};
    };
    auto result = refine::RefineFreeBits(problem, *latency_, ropts, eval);
    if (!result.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("refine: ", result.status().message()));
    }
    BitConfig refined = FromRefineConfig(folded_graph_, searched, result->config);
    meta_["config_final"] = BitConfigToJson(refined);
    json moves = json::array();
    for (const auto& m : result->moves) {
      moves.push_back({{"phase", m.phase}, {"what", m.what}, {"target", m.target},
                       {"from_bits", m.from_bits}, {"to_bits", m.to_bits},
                       {"total_latency_after", m.total_latency_after}});
    }
    meta_["refine"] = {{"method", spec_.refine.method},
                       {"applied", true},
                       {"profile", latency_->name()},
                       {"latency_before", result->latency_before},
                       {"latency_after", result->latency_after},
                       {"steps", result->steps},
                       {"feasible", result->feasible},
                       {"latency_budget", spec_.refine.latency_budget ? json(*spec_.refine.latency_budget) : json()},
                       {"evaluations", result->evaluations},
                       {"summary", result->summary},
                       {"moves", moves}};
    if (!result->feasible) {
      Log(absl::StrCat("refine: the latency budget is infeasible within max_accuracy_drop; best point: ",
                       result->summary));
    }
    MarkDone(phase, Seconds(start), result->summary);
    return SaveBoundary(kPhaseFinetune);
  }

  // Latency of the job's configurations on its profile, for the result.
  void RecordLatency() {
    if (!latency_) return;
    json lat = {{"unit", latency_->unit()}, {"profile", latency_->name()}};
    std::vector<std::string> names;
    for (int l : folded_graph_.Layers()) names.push_back(folded_graph_.nodes[l].name);
    auto total = [&](const BitConfig& c) -> json {
      auto r = ConfigLatency(folded_graph_, c, *latency_);
      return r.ok() ? json(r->total) : json();
    };
    auto uniform = [&](int w, int a) {
      BitConfig c = UniformBits(names, w, a);
      c.layers[0].act_bits = 8;  // the network input stays 8-bit...
      if (w == 32) c.layers[0].act_bits = 32;  // ...except in the float model
      return c;
    };
    lat["fp32"] = total(uniform(32, 32));
    lat["w8a8"] = total(uniform(8, 8));
    lat["searched"] = total(BitConfigFromJson(meta_["config_searched"]));
    BitConfig final_config = BitConfigFromJson(meta_["config_final"]);
    auto fin = ConfigLatency(folded_graph_, final_config, *latency_);
    if (fin.ok()) {
      lat["final"] = fin->total;
      json layers = json::object();
      for (size_t k = 0; k < names.size() && k < fin->per_layer.size(); ++k) layers[names[k]] = fin->per_layer[k];
      lat["layers"] = layers;
      if (!fin->notes.empty()) lat["notes"] = fin->notes;
    }
    if (lat["w8a8"].is_number() && lat["final"].is_number() && lat["w8a8"].get<double>() > 0) {
      lat["reduction_vs_w8a8"] = 100.0 * (1.0 - lat["final"].get<double>() / lat["w8a8"].get<double>());
    }
    json baselines = json::object();
    for (const auto& [name, b] : meta_["baselines"].items()) baselines[name] = total(BitConfigFromJson(b["config"]));
    lat["baselines"] = baselines;
    meta_["latency"] = lat;
  }

  absl::Status Finetune(const std::string& phase, const BitConfig& config, double* accuracy) {
    auto start = Clock::now();
    const bool baseline = phase != kPhaseFinetune;
    Network net(folded_graph_, net_options_);
    net->SetGenerator(generator_);
    if (baseline && (!Resuming(phase) || resume_->model_state.empty())) {
      // Same pipeline, fixed gates: fresh ranges on the FP weights.
      LoadModule(*net, fp_state_);
      net->InitRanges(data_.train.x.slice(0, 0, spec_.search.batch_size));
      net->SetFixed(config);
    } else {
      std::string fresh = next_start_state_.empty() && resume_ ? resume_->model_state : next_start_state_;
      LoadModule(*net, StartState(phase, fresh));
      net->SetFixed(config);  // after loading: the refined bits may differ from the saved gates
    }
    Optim opt = MakeAdam({{net->WeightParameters(), spec_.finetune.lr},
                          {net->RangeParameters(), spec_.search.range_lr / 10}});
    PhaseCursor cursor;
    if (Resuming(phase) && !resume_->optimizer_state.empty()) {
      LoadOptimizer(*opt.adam, resume_->optimizer_state);
      cursor = ResumeCursor();
    }
    PhasePlan plan;
    plan.name = phase;
    plan.epochs = spec_.finetune.epochs;
    plan.batch_size = spec_.search.batch_size;
    plan.seed = spec_.search.seed;
    plan.schedule = [&](int64_t step, int64_t total) {
      double f = CosineFactor(step, total);
      opt.SetLr(0, opt.base_lr[0] * f);
      opt.SetLr(1, opt.base_lr[1] * f);
    };
    absl::Status st = RunPhase(*net, *opt.adam, data_.train, plan, cursor, observer_,
                               spec_.checkpoint_every, [&](const PhaseCursor& c) {
                                 return Save(phase, c, net.get(), opt.adam.get());
                               });
    if (!st.ok()) return st;
    EvalResult acc = Evaluate(*net, data_.test);
    *accuracy = acc.accuracy;
    if (!baseline && !options_.export_dir.empty()) {
      ExportOptions export_options;
      export_options.preprocessing = data_.preprocessing;
      export_options.include_preprocessing = spec_.export_options.include_preprocessing;
      export_options.check_inputs = data_.test_raw_x;  // predictions compared on the raw test split
      auto exported = ExportQuantized(*net, options_.export_dir, export_options);
      if (!exported.ok()) return exported.status();
      meta_["export"] = exported->ToJson();
      Log(absl::StrCat("exported to ", options_.export_dir, ": ", meta_["export"].dump()));
    }
    MarkDone(phase, Seconds(start), absl::StrFormat("top-1 %.2f%%", acc.accuracy));
    next_start_state_.clear();
    return absl::OkStatus();
  }

  const JobSpec& spec_;
  RunOptions options_;
  JobObserver* observer_;
  CheckpointStore* checkpoints_;

  Dataset data_;
  Graph graph_;
  Graph folded_graph_;
  NetworkOptions net_options_;
  at::Generator generator_;
  json meta_;
  std::optional<JobCheckpoint> resume_;
  std::optional<ImportedModel> imported_;  // set when the spec names an ONNX model
  std::string fp_state_;          // folded FP network: where the search and baselines start
  std::string next_start_state_;  // the network the next phase starts from
  std::unique_ptr<LatencyModel> latency_;
};

}  // namespace

absl::StatusOr<json> RunJob(const JobSpec& spec, const RunOptions& options, JobObserver* observer,
                            CheckpointStore* checkpoints) {
  // LibTorch reports errors by throwing; they stop here and become a status.
  try {
    JobRun run(spec, options, observer, checkpoints);
    return run.Run();
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("LibTorch error: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("job failed: ", e.what()));
  }
}

}  // namespace bitsearch
