// The files a leased job may open on the worker. A spec submitted to a server is written by a
// client, not by the worker's operator, so a path in it (model.onnx without an upload, the data
// set's files) is resolved inside the operator's --data-root folders only: symlinks and ".." that
// leave them, devices, FIFOs and oversized files are refused before anything is opened, and a
// worker without --data-root runs only uploaded models and catalog data sets.
//
// Thread-safety: pure functions (they read the file system).
#ifndef BITSEARCH_WORKERS_JOB_INPUTS_H_
#define BITSEARCH_WORKERS_JOB_INPUTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "search/spec.h"

namespace bitsearch {

// Rewrites spec->model.onnx (unless `model_uploaded`) and the data set's paths (dataset.path: a
// folder, or the .npz file; the .npy files of dataset.train/test) to absolute paths inside one of
// `data_roots`; a file (the model, an array file, each file of the data folder) must be a regular
// file of at most `max_file_bytes`. An uploaded data set (dataset.ref) is left alone: its paths
// lie inside it (the spec parser checks that). INVALID_ARGUMENT names the field and says why.
absl::Status ResolveJobInputs(JobSpec* spec, bool model_uploaded,
                              const std::vector<std::string>& data_roots,
                              int64_t max_file_bytes);

}  // namespace bitsearch

#endif  // BITSEARCH_WORKERS_JOB_INPUTS_H_
