// The typed state of one job as it moves through the phases: which phases are done, where a
// stopped phase stands, and every figure the result is built from. A checkpoint carries it as
// JSON (ToJson / FromJson); the result JSON is built from it (result.h). Phases read and write
// its fields, never string keys.
// Thread-safety: plain values.
#ifndef BITSEARCH_SEARCH_PIPELINE_JOB_STATE_H_
#define BITSEARCH_SEARCH_PIPELINE_JOB_STATE_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "search/bit_config.h"
#include "search/onnx/onnx_export.h"
#include "search/refine/refine_method.h"
#include "search/trainer.h"

namespace bitsearch {

struct BaselineResult {
  double accuracy = 0;  // top-1 on the test split, percent
  BitConfig config;     // what the baseline fixed
  nlohmann::json report;  // what its steps did (post-training: CLE, bias correction, AdaRound)
};

struct JobState {
  nlohmann::json spec;  // JobSpecToJson of the spec being run: a resumed run must match it
  int threads = 0;      // LibTorch threads of the run (reported, not compared)
  std::string device = "cpu";  // torch device of the run (reported, not compared)
  std::string blas_core;        // OpenBLAS's kernels ("" without OpenBLAS; reported, not compared)

  std::set<std::string> done;            // phases finished
  std::map<std::string, double> timings;  // seconds per phase (summed over resumes), and "total"
  std::string phase;                     // the phase a checkpoint resumes in ("end" when all ran)
  PhaseCursor cursor;                    // where in `phase` (0/0 at a boundary)

  std::optional<double> accuracy_fp32;      // folded float model on the test split
  std::string pretrain_cache;               // the cache entry reused, if one was
  std::optional<double> accuracy_searched;  // searched configuration before fine-tuning
  std::optional<BitConfig> config_searched;
  std::optional<RefineReport> refine;
  std::optional<BitConfig> config_final;    // after refinement: what fine-tuning trains
  std::optional<double> accuracy_adaround;  // after AdaRound, before a fine-tune after it
  nlohmann::json adaround;                  // AdaRound's PtqReportToJson (finetune.method)
  std::optional<double> accuracy_final;     // after fine-tuning
  std::optional<ExportReport> exported;     // when RunOptions::export_dir was set
  std::map<std::string, BaselineResult> baselines;  // by baseline name
  // compare_methods: each other method's row of the comparison (comparison.h), by method name.
  std::map<std::string, nlohmann::json> comparisons;
  nlohmann::json method_state;              // the search method's SaveState() (opaque here)
  // What the "ptq" block did (the result's "ptq"): a post-training job's quantization
  // (SearchOutcome::report), or the equalization before a search (range_init_phase.cc).
  nlohmann::json ptq_report;

  // What the user must know to reproduce the figures: the preprocessing applied (and whether the
  // export includes it), the data set read, and warnings (an imported model near chance).
  nlohmann::json preprocessing;
  nlohmann::json data;
  std::vector<std::string> warnings;

  bool Done(const std::string& name) const { return done.count(name) > 0; }

  nlohmann::json ToJson() const;
  // Errors: FAILED_PRECONDITION for the state of another format (a checkpoint written by an
  // older bitsearch), naming what is missing.
  static absl::StatusOr<JobState> FromJson(const nlohmann::json& j);
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_JOB_STATE_H_
