// Job set-up, run at the start of every run (fresh or resumed) before any phase: threads, the
// model (zoo or imported ONNX, refused before any training when unsupported), the data, the
// hardware profile, the search method, the noise source, and the checkpoint to resume from.
// Thread-safety: on the job's thread.
#ifndef BITSEARCH_SEARCH_PIPELINE_SETUP_H_
#define BITSEARCH_SEARCH_PIPELINE_SETUP_H_

#include "absl/status/status.h"
#include "search/pipeline/job_context.h"

namespace bitsearch {

// Errors: INVALID_ARGUMENT for a model, data set or profile the job cannot use (naming it),
// FAILED_PRECONDITION for a checkpoint of another spec or format.
absl::Status SetUpJob(JobContext& job);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_SETUP_H_
