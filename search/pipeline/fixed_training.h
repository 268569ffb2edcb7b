// Fine-tuning of a fixed-bit network (the job's fine-tune phase): cross-entropy only,
// Adam on the weights (finetune.lr) and ranges (search.range_lr / 10), both with a cosine decay,
// finetune.epochs over the training split. The fine-tune phase and the QAT baselines share it, so
// a baseline is trained exactly as the searched model is.
// Thread-safety: on the job's thread.
#ifndef BITSEARCH_SEARCH_PIPELINE_FIXED_TRAINING_H_
#define BITSEARCH_SEARCH_PIPELINE_FIXED_TRAINING_H_

#include <string>

#include "absl/status/status.h"
#include "search/pipeline/job_context.h"

namespace bitsearch {

// Trains `net` (quantizers fixed) as phase `phase`, continuing from the checkpoint when the job
// resumes inside that phase. CANCELLED after a checkpoint when the observer asks to stop.
absl::Status FineTuneFixed(JobContext& job, const std::string& phase, NetworkImpl& net);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_FIXED_TRAINING_H_
