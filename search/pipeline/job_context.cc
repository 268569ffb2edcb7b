#include "search/pipeline/job_context.h"

#include "search/ptq/ptq_quantizer.h"

namespace bitsearch {

void JobContext::Log(const std::string& line) {
  if (observer) observer->OnLog(line);
}

void JobContext::MarkDone(const std::string& phase, double seconds, const std::string& summary) {
  state.done.insert(phase);
  state.timings[phase] += seconds;
  if (observer) observer->OnPhaseEnd(phase, seconds, summary);
}

bool JobContext::Resuming(const std::string& phase) const {
  return resume && resume_phase == phase;
}

bool JobContext::ResumingMidPhase(const std::string& phase) const {
  return Resuming(phase) && !resume->optimizer_state.empty();
}

const std::string& JobContext::StartState(const std::string& phase, const std::string& fresh) const {
  return Resuming(phase) && !resume->model_state.empty() ? resume->model_state : fresh;
}

absl::Status JobContext::WriteCheckpoint(const std::string& phase, const PhaseCursor& cursor,
                                         std::string model_state, std::string optimizer_state) {
  state.phase = phase;
  state.cursor = cursor;
  JobCheckpoint ckpt;
  ckpt.meta = state.ToJson();
  ckpt.fp_state = fp_state;
  ckpt.generator_state = generator.get_state();
  ckpt.model_state = std::move(model_state);
  ckpt.optimizer_state = std::move(optimizer_state);
  return checkpoints->Save(SerializeJobCheckpoint(ckpt));
}

absl::Status JobContext::SaveInPhase(const std::string& phase, const PhaseCursor& cursor,
                                     torch::nn::Module* net, torch::optim::Optimizer* optimizer) {
  if (!checkpoints) return absl::OkStatus();
  return WriteCheckpoint(phase, cursor, net ? SerializeModule(*net) : "",
                         optimizer ? SerializeOptimizer(*optimizer) : "");
}

absl::Status JobContext::SaveBoundary(const std::string& next) {
  if (!checkpoints) return absl::OkStatus();
  return WriteCheckpoint(next, {}, handoff_state, "");
}

NetworkOptions JobContext::DefaultNetworkOptions() const {
  NetworkOptions o;
  o.max_bits = spec.search.max_bits;
  o.prune = spec.search.prune;
  o.gate_init = spec.search.gate_init;
  o.device = device;
  return o;
}

Network JobContext::NewDefaultNetwork() const {
  Network net(folded_graph, DefaultNetworkOptions());
  net->SetGenerator(generator);
  return net;
}

Network JobContext::NewFinalNetwork() const {
  if (!spec.finetune.rounds()) return NewNetwork();
  NetworkOptions o = DefaultNetworkOptions();
  o.quantizers = PtqQuantizers();
  Network net(folded_graph, o);
  net->SetGenerator(generator);
  return net;
}

Network JobContext::NewNetwork() const {
  NetworkOptions o = DefaultNetworkOptions();
  if (method) o.quantizers = method->quantizers();
  Network net(folded_graph, o);
  net->SetGenerator(generator);
  return net;
}

}  // namespace bitsearch
