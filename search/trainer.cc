#include "search/trainer.h"

#include "absl/strings/str_cat.h"
#include "search/data/augment.h"

namespace bitsearch {

int64_t StepsPerEpoch(int64_t n, int batch_size) { return (n + batch_size - 1) / batch_size; }

namespace {

// A seed from (job seed, phase, counter): FNV-1a of the phase name is stable across builds, so a
// checkpoint resumes anywhere with the same draws.
uint64_t PhaseSeed(uint64_t seed, const std::string& phase, uint64_t counter) {
  uint64_t name_hash = 1469598103934665603ull;
  for (char c : phase) name_hash = (name_hash ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return seed * 0x9E3779B97F4A7C15ull ^ name_hash ^ (counter + 1) * 0xBF58476D1CE4E5B9ull;
}

}  // namespace

torch::Tensor EpochPermutation(int64_t n, uint64_t seed, const std::string& phase, int epoch) {
  uint64_t h = PhaseSeed(seed, phase, static_cast<uint64_t>(epoch));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(h);
  return torch::randperm(n, gen, torch::kLong);
}

absl::Status RunPhase(NetworkImpl& net, torch::optim::Optimizer& optimizer, const Split& data,
                      const PhasePlan& plan, PhaseCursor cursor, JobObserver* observer,
                      int64_t checkpoint_every,
                      const std::function<absl::Status(const PhaseCursor&)>& save) {
  const int64_t n = data.size();
  const int64_t per_epoch = StepsPerEpoch(n, plan.batch_size);
  const int64_t total = per_epoch * plan.epochs;
  const bool resumed = cursor.epoch > 0 || cursor.step_in_epoch > 0;
  if (observer) observer->OnPhaseStart(plan.name, total);
  int64_t since_checkpoint = 0;
  bool first = true;
  net.train();
  for (int epoch = cursor.epoch; epoch < plan.epochs; ++epoch) {
    torch::Tensor perm = EpochPermutation(n, plan.seed, plan.name, epoch);
    // Summed on the network's device and read only when progress is reported: no per-step sync.
    torch::Tensor loss_sum, correct;
    int64_t seen = 0;
    const int64_t start = epoch == cursor.epoch ? cursor.step_in_epoch : 0;
    for (int64_t step = start; step < per_epoch; ++step) {
      PhaseCursor here{epoch, step};
      if (observer && observer->CancelRequested()) {
        if (save) {
          absl::Status st = save(here);
          if (!st.ok()) return st;
        }
        return absl::CancelledError(absl::StrCat("cancelled in ", plan.name, " at epoch ", epoch + 1,
                                                 ", step ", step));
      }
      if (checkpoint_every > 0 && since_checkpoint >= checkpoint_every && save) {
        absl::Status st = save(here);
        if (!st.ok()) return st;
        since_checkpoint = 0;
      }
      const int64_t global = epoch * per_epoch + step;
      if (plan.schedule) plan.schedule(global, total);
      auto idx = perm.slice(0, step * plan.batch_size, std::min(n, (step + 1) * plan.batch_size));
      auto x = data.x.index_select(0, idx);
      // Augmentation draws use another stream than the epoch order (offset counter).
      if (data.augment.enabled()) x = AugmentBatch(x, data.augment, PhaseSeed(plan.seed, plan.name, (1ull << 40) + global));
      // The data set stays in host memory: the network moves its input (ForwardValues), the
      // labels follow here.
      auto y = data.y.index_select(0, idx).to(net.device());
      optimizer.zero_grad();
      StepLoss step_loss;
      if (plan.loss) {
        step_loss = plan.loss(x, y, global);
      } else {
        step_loss.logits = net.forward(x);
        step_loss.objective = torch::cross_entropy_loss(step_loss.logits, y);
        if (plan.regularizer) step_loss.objective = step_loss.objective + plan.regularizer();
      }
      const torch::Tensor& logits = step_loss.logits;
      const torch::Tensor& objective = step_loss.objective;
      objective.backward();
      optimizer.step();
      if (plan.after_step) plan.after_step();
      ++since_checkpoint;

      {
        torch::NoGradGuard no_grad;
        torch::Tensor batch_loss = objective.detach() * static_cast<double>(idx.size(0));
        torch::Tensor batch_correct = logits.argmax(1).eq(y).sum();
        loss_sum = loss_sum.defined() ? loss_sum + batch_loss : batch_loss;
        correct = correct.defined() ? correct + batch_correct : batch_correct;
      }
      seen += idx.size(0);
      const bool epoch_end = step + 1 == per_epoch;
      if (observer && (epoch_end || first || (global + 1) % 5 == 0)) {
        Progress p;
        p.phase = plan.name;
        p.epoch = epoch + 1;
        p.epochs = plan.epochs;
        p.step = global + 1;
        p.total_steps = total;
        p.loss = loss_sum.item<double>() / seen;
        p.accuracy = 100.0 * correct.item<int64_t>() / seen;
        p.resumed = first && resumed;
        if (plan.decorate) plan.decorate(p);
        observer->OnProgress(p);
        first = false;
      }
    }
  }
  return absl::OkStatus();
}

EvalResult Evaluate(NetworkImpl& net, const Split& split, int batch_size) {
  torch::NoGradGuard no_grad;
  bool was_training = net.is_training();
  net.eval();
  EvalResult r;
  int64_t correct = 0;
  double loss = 0;
  for (int64_t from = 0; from < split.size(); from += batch_size) {
    int64_t to = std::min(split.size(), from + batch_size);
    auto logits = net.forward(split.x.slice(0, from, to));
    auto y = split.y.slice(0, from, to).to(net.device());
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    loss += torch::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
  }
  net.train(was_training);
  if (split.size() > 0) {
    r.accuracy = 100.0 * correct / split.size();
    r.loss = loss / split.size();
  }
  return r;
}

}  // namespace bitsearch
