#include "client/profile_measure_command.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "client/cli_common.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/atomic_file.h"
#include "latency_models/builtin_profiles.h"
#include "latency_models/host_profiler/host_profiler.h"
#include "latency_models/measured_csv.h"
#include "latency_models/profile_json.h"
#include "latency_models/profile_registry.h"
#include "search/hardware.h"
#include "search/onnx/onnx_import.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

struct MeasureArgs {
  std::string model;
  std::vector<int64_t> input = {1, 28, 28};
  int64_t classes = 10;
  double width = 1.0;
  std::string out;
  std::string name;
  std::string description;
  std::vector<int> bits = {2, 4, 8, 16, 32};
  int repeats = 25;
  int warmup = 5;
  int threads = 1;
  std::string qengine;
  bool quiet = false;
};

[[noreturn]] void Fail(const absl::Status& status) {
  std::cerr << "bitsearch: " << status.message() << "\n";
  throw CLI::RuntimeError(ExitCodeFor(status.code()));
}

std::string ProfilesDir(CLI::App& profiles) {
  try {
    CLI::Option* opt = profiles.get_option("--profiles-dir");
    if (opt->count() > 0) return opt->as<std::string>();
  } catch (const CLI::OptionNotFound&) {
    // The group has no --profiles-dir: use the default folder.
  }
  return DefaultProfilesDir();
}

// Microseconds, or "-" when the pair was not measured.
std::string Micros(const std::map<std::pair<int, int>, double>& by_pair, int a, int w) {
  auto it = by_pair.find({a, w});
  return it == by_pair.end() ? std::string("-") : absl::StrFormat("%.1f", it->second * 1e6);
}

// One line per signature with the layers that have it and its latency at the main pairs.
void PrintSummary(std::ostream& os, const HostMeasurement& m,
                  const std::vector<LayerSignature>& layers) {
  std::map<std::string, std::vector<int>> users;
  for (size_t i = 0; i < layers.size(); ++i) users[layers[i].Key()].push_back(static_cast<int>(i));
  std::map<std::string, std::map<std::pair<int, int>, double>> table;
  std::map<std::string, LayerSignature> sig;
  for (const MeasuredRow& r : m.rows) {
    table[r.row.signature.Key()][{r.row.act_bits, r.row.weight_bits}] = r.row.latency;
    sig[r.row.signature.Key()] = r.row.signature;
  }
  os << absl::StrFormat("host: %s; int8 engine %s; %d thread(s); median us per call (batch 1)\n",
                        m.host, m.qengine, m.threads);
  os << absl::StrFormat("%-8s %-44s %10s %9s %9s %9s %9s %9s %9s %9s\n", "layers", "signature",
                        "MACs", "a32w32", "a16w16", "a8w8", "a8w4", "a8w2", "a4w4", "a2w2");
  // In layer order: the first layer with each signature decides the line's position.
  std::set<std::string> printed;
  for (const LayerSignature& l : layers) {
    const std::string key = l.Key();
    if (!printed.insert(key).second || !table.count(key)) continue;
    const auto& t = table[key];
    os << absl::StrFormat("%-8s %-44s %10d %9s %9s %9s %9s %9s %9s %9s\n",
                          absl::StrJoin(users[key], ","), key, sig[key].Macs(), Micros(t, 32, 32),
                          Micros(t, 16, 16), Micros(t, 8, 8), Micros(t, 8, 4), Micros(t, 8, 2),
                          Micros(t, 4, 4), Micros(t, 2, 2));
  }
  // The kernels behind the pairs of the first signature, so a reader knows what ran.
  if (!m.rows.empty()) {
    os << "kernels (first signature):\n";
    for (const MeasuredRow& r : m.rows) {
      if (r.row.signature != m.rows.front().row.signature) break;
      os << absl::StrFormat("  a%-2d w%-2d %s\n", r.row.act_bits, r.row.weight_bits, r.kernel);
    }
  }
}

void Measure(const MeasureArgs& a, CLI::App& profiles) {
  if (!a.name.empty()) {
    if (absl::Status st = ValidateProfileName(a.name); !st.ok()) Fail(st);
    for (const EmbeddedProfile& p : BuiltinProfileSources()) {
      if (a.name == p.name) {
        Fail(absl::InvalidArgumentError(
            absl::StrCat("--name: '", a.name, "' is a built-in profile; choose another name")));
      }
    }
  }
  if (a.input.size() != 3) Fail(absl::InvalidArgumentError("--input: expected C,H,W"));
  absl::StatusOr<std::vector<LayerSignature>> layers =
      ZooModelSignatures(a.model, a.input, a.classes, a.width);
  if (!layers.ok()) Fail(layers.status());

  HostProfilerOptions options;
  options.threads = a.threads;
  options.warmup = a.warmup;
  options.repeats = a.repeats;
  options.qengine = a.qengine;
  for (int act : a.bits) {
    for (int w : a.bits) options.bit_pairs.emplace_back(act, w);
  }
  // A progress counter on a terminal; a log gets nothing until the end.
  if (!a.quiet && isatty(STDERR_FILENO)) {
    options.progress = [](size_t done, size_t total) {
      std::cerr << "\rmeasuring " << done << "/" << total << " rows" << std::flush;
      if (done == total) std::cerr << "\n";
    };
  }
  absl::StatusOr<HostMeasurement> m = MeasureSignatures(*layers, options);
  if (!m.ok()) Fail(m.status());
  const std::string csv = RowsToCsv(LatencyRows(*m));

  // The summary goes to stdout unless the CSV itself does.
  const bool csv_to_stdout = a.out.empty() && a.name.empty();
  std::ostream& summary = csv_to_stdout ? std::cerr : std::cout;
  std::string csv_path = a.out;
  const std::string dir = ProfilesDir(profiles);
  if (!a.out.empty()) {
    if (absl::Status st = WriteFileAtomically(a.out, csv); !st.ok()) Fail(st);
  } else if (!a.name.empty()) {
    // Import reads a file: stage the table beside the profiles and remove it afterwards.
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    csv_path = (std::filesystem::path(dir) / absl::StrCat(".", a.name, ".measured.", getpid(), ".csv"))
                   .string();
    if (absl::Status st = WriteFileAtomically(csv_path, csv); !st.ok()) Fail(st);
  } else {
    std::cout << csv;
  }
  PrintSummary(summary, *m, *layers);
  if (!a.out.empty()) summary << "wrote " << m->rows.size() << " rows to " << a.out << "\n";
  if (a.name.empty()) return;

  ImportOptions import;
  import.unit = "seconds";
  import.description =
      !a.description.empty()
          ? a.description
          : absl::StrFormat("host-measured %s (input %d,%d,%d, width %g) on %s; int8 engine %s, "
                            "%d thread(s), median of %d",
                            a.model, a.input[0], a.input[1], a.input[2], a.width, m->host,
                            m->qengine, m->threads, a.repeats);
  absl::StatusOr<ProfileInfo> info = ImportMeasuredCsv(csv_path, a.name, dir, import);
  if (a.out.empty()) std::filesystem::remove(csv_path);
  if (!info.ok()) Fail(info.status());
  summary << "imported profile '" << info->name << "' into " << info->path
          << " (use \"hardware\": {\"profile\": \"" << info->name << "\"})\n";
}

}  // namespace

absl::StatusOr<std::vector<LayerSignature>> ZooModelSignatures(const std::string& model,
                                                               const std::vector<int64_t>& input,
                                                               int64_t classes, double width) {
  absl::StatusOr<Graph> graph = BuildZooModel(model, input, classes, width);
  if (!graph.ok()) return graph.status();
  std::vector<LayerSignature> sigs = ModelSignatures(*graph);
  if (sigs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("model '", model, "' has no conv/linear layers"));
  }
  return sigs;
}

absl::StatusOr<std::vector<LayerSignature>> SignaturesOfModel(const std::string& model) {
  if (absl::EndsWith(model, ".onnx")) {
    absl::StatusOr<ImportedModel> imported = ImportOnnxFile(model);
    if (!imported.ok()) return imported.status();
    std::vector<LayerSignature> sigs = ModelSignatures(imported->graph);
    if (sigs.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(model, " has no conv/linear layers"));
    }
    return sigs;
  }
  std::vector<int64_t> input = model == "lenet5" ? std::vector<int64_t>{1, 28, 28}
                                                 : std::vector<int64_t>{3, 32, 32};
  return ZooModelSignatures(model, input, 10, 1.0);
}

void AddProfileMeasureCommand(CLI::App& profiles) {
  auto args = std::make_shared<MeasureArgs>();
  CLI::App* cmd = profiles.add_subcommand("measure", kMeasureCommandHelp);
  cmd->add_option("--model", args->model, "Zoo model name")->required();
  cmd->add_option("--input", args->input, "Input shape C,H,W (default 1,28,28)")->delimiter(',');
  cmd->add_option("--classes", args->classes, "Number of classes (default 10)");
  cmd->add_option("--width", args->width, "Channel width multiplier (default 1)");
  cmd->add_option("--out", args->out,
                  "Output CSV (default: stdout, unless --name is given)");
  cmd->add_option("--name", args->name, "Also import the table as this profile");
  cmd->add_option("--description", args->description, "Profile description (with --name)");
  cmd->add_option("--bits", args->bits, "Bit widths of the grid (default 2,4,8,16,32)")
      ->delimiter(',');
  cmd->add_option("--repeats", args->repeats, "Timed samples per row; the median is kept "
                                              "(default 25)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", args->warmup, "Untimed calls before each row (default 5)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", args->threads, "LibTorch threads while measuring (default 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--qengine", args->qengine,
                  "Quantized engine: fbgemm, onednn or qnnpack (default: the best available)");
  cmd->add_flag("--quiet", args->quiet, "No progress on stderr");
  CLI::App* group = &profiles;
  cmd->callback([args, group]() { Measure(*args, *group); });
}

}  // namespace bitsearch
