// A job's memory need, estimated from its spec before anything is allocated, so that a worker
// refuses a job that would not fit (with the reason) instead of being killed by the kernel on
// every attempt. The estimate is deliberately rough and on the high side: data as float tensors,
// the model with its gradients and two Adam moments, and the activations a training step keeps
// for one batch (a per-architecture factor of the input size, times the quantizers' copies),
// plus LibTorch's own footprint. It exists to catch jobs that are orders of magnitude too large
// (a 2048x2048 input, a 3 GB synthetic data set), not to predict a job's peak to the megabyte.
//
// Thread-safety: pure functions (DefaultJobMemoryBudget reads /proc and /sys).
#ifndef BITSEARCH_WORKERS_JOB_MEMORY_H_
#define BITSEARCH_WORKERS_JOB_MEMORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "search/spec.h"

namespace bitsearch {

// What the worker learnt about an ONNX model before running it (from its file).
struct ModelFacts {
  std::vector<int64_t> input_shape;  // C, H, W ("" = unknown)
  int64_t parameters = 0;            // values in its initializers
};

struct MemoryEstimate {
  int64_t data_bytes = 0;
  int64_t model_bytes = 0;
  int64_t activation_bytes = 0;
  int64_t runtime_bytes = 0;  // LibTorch and the process itself
  int batch = 0;
  int64_t total() const { return data_bytes + model_bytes + activation_bytes + runtime_bytes; }
  // "4.1 GiB (data 3.0 GiB, model 12 MiB, activations 1.0 GiB at batch 128, runtime 300 MiB)"
  std::string Describe() const;
};

// `model` is used for ONNX models (input shape, parameters); zoo models use their own figures.
MemoryEstimate EstimateJobMemory(const JobSpec& spec, const ModelFacts& model);

// RESOURCE_EXHAUSTED with the estimate and the budget when the job does not fit; the message
// says what to change.
absl::Status CheckJobMemory(const MemoryEstimate& estimate, int64_t budget_bytes);

// 80% of the memory this process may use: the smaller of the machine's (MemTotal) and the
// cgroup's limit (containers).
int64_t DefaultJobMemoryBudget();

// "1.5 GiB", "300 MiB".
std::string HumanBytes(int64_t bytes);

}  // namespace bitsearch

#endif  // BITSEARCH_WORKERS_JOB_MEMORY_H_
