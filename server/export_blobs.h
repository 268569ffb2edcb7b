// The exported model of a finished job (model.onnx, quant.json, model.pt), as the worker that
// completed it sent them. Stored as one blob per completing attempt, so a stale attempt that is
// refused can never overwrite or remove the files of the attempt that won.
#ifndef BITSEARCH_SERVER_EXPORT_BLOBS_H_
#define BITSEARCH_SERVER_EXPORT_BLOBS_H_

#include <cstdint>
#include <string>

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/blob_store.h"
#include "server/job_records.h"

namespace bitsearch::server {

using ExportFiles = std::vector<ExportedFile>;

std::string ExportBlobName(const std::string& job_id, int attempt);

// Plain, distinct file names (letters, digits, '.', '_', '-'; no leading '.'), at most
// `max_total_bytes` together. The error names the offending file.
absl::Status ValidateExportFiles(const ExportFiles& files, int64_t max_total_bytes);

// Writes the files as the attempt's blob (atomically); returns the blob name.
absl::StatusOr<std::string> StoreExportFiles(BlobStore& blobs, const std::string& job_id,
                                             int attempt, const ExportFiles& files);

// The files stored for the attempt that completed the job; NOT_FOUND (naming the job) when it
// finished without any.
absl::StatusOr<ExportFiles> LoadExportFiles(const BlobStore& blobs, const std::string& job_id,
                                            int attempt);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_EXPORT_BLOBS_H_
