#include "client/profile_commands.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "latency_models/analytic_model.h"
#include "base/atomic_file.h"
#include "latency_models/lookup_table_model.h"
#include "latency_models/measured_csv.h"
#include "latency_models/profile_registry.h"
#include "latency_models/stored_profile.h"
#include "nlohmann/json.hpp"

namespace bitsearch {
namespace {

using nlohmann::json;

struct ProfileArgs {
  std::string profiles_dir;
  bool json = false;
  std::string name;
  std::string model;
  std::string signatures_file;
  std::vector<int> bits = {2, 4, 8};
  std::string out;
  std::string csv;
  std::string unit = "seconds";
  bool allow_fallback = false;
  std::string description;
  std::shared_ptr<ConnectionFlags> server;  // list/show/import go to this server when set
  bool local = false;         // --local: the folder even when a server is configured
};

// One line on stderr and the exit code of the CLI contract (cli_common.h).
[[noreturn]] void Fail(const absl::Status& status) {
  std::cerr << "bitsearch: " << status.message() << "\n";
  throw CLI::RuntimeError(ExitCodeFor(status.code()));
}

std::string Dir(const ProfileArgs& a) {
  return a.profiles_dir.empty() ? DefaultProfilesDir() : a.profiles_dir;
}

json InfoJson(const ProfileInfo& info) {
  return json{{"name", info.name},       {"kind", info.kind},
              {"unit", info.unit},       {"description", info.description},
              {"builtin", info.builtin}, {"sources", info.sources},
              {"assumptions", info.assumptions}};
}

// The configured server, or nullptr to work on the local folder.
std::unique_ptr<ProfileServer> ServerFor(const ProfileArgs& a, const ProfileServerFn& connect) {
  const char* env = std::getenv("BITSEARCH_SERVER");
  if (a.local || (a.server->server.empty() && (env == nullptr || *env == '\0'))) return nullptr;
  if (!connect) {
    Fail(absl::UnimplementedError(
        "this build of bitsearch cannot reach a server; pass --local (or unset BITSEARCH_SERVER)"));
  }
  absl::StatusOr<std::unique_ptr<ProfileServer>> server = connect(*a.server);
  if (!server.ok()) Fail(server.status());
  return std::move(*server);
}

// Built-ins (compiled in, the same on the server) followed by the server's stored profiles.
absl::StatusOr<std::vector<ProfileListing>> ListServerProfiles(ProfileServer& server) {
  absl::StatusOr<std::vector<ProfileListing>> all = ListProfiles("");
  if (!all.ok()) return all.status();
  absl::StatusOr<std::vector<std::string>> names = server.ListNames();
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    ProfileListing l;
    l.info.name = name;
    absl::StatusOr<std::string> text = server.GetProfileJson(name);
    absl::StatusOr<ParsedProfile> parsed =
        text.ok() ? ParseProfileJson(*text) : absl::StatusOr<ParsedProfile>(text.status());
    if (parsed.ok()) {
      l.info = parsed->info;
    } else {
      l.error = std::string(parsed.status().message());
    }
    l.info.path = server.Describe();
    all->push_back(std::move(l));
  }
  return all;
}

void List(const ProfileArgs& a, ProfileServer* server) {
  absl::StatusOr<std::vector<ProfileListing>> all =
      server != nullptr ? ListServerProfiles(*server) : ListProfiles(Dir(a));
  if (!all.ok()) Fail(all.status());
  if (a.json) {
    json out = json::array();
    for (const ProfileListing& l : *all) {
      json j = InfoJson(l.info);
      if (!l.error.empty()) j["error"] = l.error;
      if (server != nullptr && !l.info.builtin) j["server"] = server->Describe();
      out.push_back(j);
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << absl::StrFormat("%-20s %-9s %-8s %-8s %s\n", "NAME", "KIND", "UNIT", "ORIGIN",
                               "DESCRIPTION");
  for (const ProfileListing& l : *all) {
    std::string desc = l.error.empty() ? l.info.description : "ERROR: " + l.error;
    if (desc.size() > 70) desc = desc.substr(0, 67) + "...";
    const char* origin = l.info.builtin ? "built-in" : server != nullptr ? "server" : "imported";
    std::cout << absl::StrFormat("%-20s %-9s %-8s %-8s %s\n", l.info.name, l.info.kind,
                                 l.info.unit, origin, desc);
  }
}

void PrintProfile(const absl::StatusOr<ParsedProfile>& p, const std::string& text, bool json) {
  if (!p.ok()) Fail(p.status());
  if (json) {
    std::cout << text;
    if (!text.empty() && text.back() != '\n') std::cout << "\n";
    return;
  }
  const ProfileInfo& info = p->info;
  std::cout << "name:        " << info.name << (info.builtin ? " (built-in)" : "") << "\n"
            << "kind:        " << info.kind << "\nunit:        " << info.unit << "\n"
            << "description: " << info.description << "\n";
  if (!info.path.empty()) std::cout << "file:        " << info.path << "\n";
  for (const std::string& s : info.sources) std::cout << "source:      " << s << "\n";
  for (const std::string& s : info.assumptions) std::cout << "assumption:  " << s << "\n";
  if (const auto* m = dynamic_cast<const AnalyticModel*>(p->model.get())) {
    const AnalyticParams& params = m->params();
    std::cout << absl::StrFormat(
        "per-layer overhead %g, bytes/cycle %g%s, depthwise efficiency %g\n",
        params.per_layer_overhead, params.bytes_per_cycle,
        params.overlap_memory ? " (overlapped)" : "", params.depthwise_efficiency);
    std::vector<int> bits;
    for (const auto& [pair, rate] : params.macs_per_cycle) {
      if (std::find(bits.begin(), bits.end(), pair.second) == bits.end()) {
        bits.push_back(pair.second);
      }
    }
    std::sort(bits.begin(), bits.end());
    std::cout << "MACs/cycle   ";
    for (int w : bits) std::cout << absl::StrFormat("%8s", absl::StrCat("w", w));
    std::cout << "\n";
    for (int act : bits) {
      std::cout << absl::StrFormat("%-13s", absl::StrCat("a", act));
      for (int w : bits) {
        auto it = params.macs_per_cycle.find({act, w});
        std::cout << absl::StrFormat("%8s", it == params.macs_per_cycle.end()
                                                ? std::string("-")
                                                : absl::StrFormat("%g", it->second));
      }
      std::cout << "\n";
    }
  } else if (const auto* t = dynamic_cast<const LookupTableModel*>(p->model.get())) {
    std::cout << "fallback:    " << (t->allow_fallback() ? "nearest signature by MACs" : "off")
              << "\n"
              << RowsToCsv(t->Rows());
  }
}

void Show(const ProfileArgs& a, ProfileServer* server) {
  if (server == nullptr || IsBuiltinProfile(a.name)) {
    absl::StatusOr<ParsedProfile> p = LoadProfileWithInfo(a.name, Dir(a));
    if (!p.ok()) Fail(p.status());
    absl::StatusOr<std::string> text = ProfileJsonText(a.name, Dir(a));
    if (!text.ok()) Fail(text.status());
    PrintProfile(p, *text, a.json);
    return;
  }
  absl::StatusOr<std::string> text = server->GetProfileJson(a.name);
  if (!text.ok()) Fail(text.status());
  absl::StatusOr<ParsedProfile> p = ParseProfileJson(*text);
  if (p.ok()) p->info.path = server->Describe();
  PrintProfile(p, *text, a.json);
}

void ExportSpec(const ProfileArgs& a, const ModelSignaturesFn& model_signatures) {
  if (a.model.empty() == a.signatures_file.empty()) {
    Fail(absl::InvalidArgumentError("export-spec needs exactly one of --model or "
                                    "--model-signatures"));
  }
  absl::StatusOr<std::vector<LayerSignature>> sigs;
  if (!a.model.empty()) {
    if (!model_signatures) {
      Fail(absl::UnimplementedError(
          "export-spec --model is not available in this build; pass --model-signatures FILE"));
    }
    sigs = model_signatures(a.model);
  } else {
    sigs = ReadSignaturesJson(a.signatures_file);
  }
  if (!sigs.ok()) Fail(sigs.status());
  absl::StatusOr<std::string> csv = ExportSpecForSignatures(*sigs, a.bits);
  if (!csv.ok()) Fail(csv.status());
  if (a.out.empty()) {
    std::cout << *csv;
    return;
  }
  if (absl::Status st = WriteFileAtomically(a.out, *csv); !st.ok()) Fail(st);
  std::cerr << "wrote " << a.out << ": measure the latency column on the device, then run "
            << "`bitsearch profiles import " << a.out << " --name NAME`\n";
}

// Checks the table here (errors name the file, line and column) and stores it in the server as
// the same "lut" profile JSON a local import writes.
void ImportToServer(const ProfileArgs& a, ProfileServer& server) {
  if (absl::Status st = ValidateProfileName(a.name); !st.ok()) Fail(st);
  if (IsBuiltinProfile(a.name)) {
    Fail(absl::AlreadyExistsError(
        absl::StrCat("'", a.name, "' is a built-in profile; choose another name")));
  }
  absl::StatusOr<std::string> text = ReadFileToString(a.csv);
  if (!text.ok()) Fail(text.status());
  absl::StatusOr<std::vector<LatencyRow>> rows = ParseMeasuredCsv(*text, a.csv);
  if (!rows.ok()) Fail(rows.status());
  const std::string description =
      a.description.empty() ? absl::StrCat("measured table imported from ", a.csv) : a.description;
  std::string json = LutProfileJson(a.name, a.unit, description, *rows, a.allow_fallback);
  if (absl::Status st = server.PutProfileJson(a.name, json); !st.ok()) Fail(st);
  std::cout << "imported profile '" << a.name << "' into " << server.Describe() << "\n";
}

void Import(const ProfileArgs& a, ProfileServer* server) {
  if (server != nullptr) {
    ImportToServer(a, *server);
    return;
  }
  ImportOptions opts;
  opts.unit = a.unit;
  opts.allow_fallback = a.allow_fallback;
  opts.description = a.description;
  absl::StatusOr<ProfileInfo> info = ImportMeasuredCsv(a.csv, a.name, Dir(a), opts);
  if (!info.ok()) Fail(info.status());
  std::cout << "imported profile '" << info->name << "' into " << info->path << "\n";
}

}  // namespace

absl::StatusOr<std::vector<LayerSignature>> ReadSignaturesJson(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  json root;
  try {
    root = json::parse(*text);
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON: ", e.what()));
  }
  const json* list = &root;
  if (root.is_object() && root.contains("signatures")) list = &root["signatures"];
  if (!list->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected an array of signatures or {\"signatures\": [...]}"));
  }
  std::vector<LayerSignature> out;
  for (size_t i = 0; i < list->size(); ++i) {
    absl::StatusOr<LayerSignature> s =
        SignatureFromJson((*list)[i], absl::StrCat(path, ": signatures[", i, "]"));
    if (!s.ok()) return s.status();
    out.push_back(*s);
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no signatures"));
  return out;
}

absl::StatusOr<std::string> ExportSpecForSignatures(const std::vector<LayerSignature>& signatures,
                                                    const std::vector<int>& bits) {
  if (signatures.empty()) return absl::InvalidArgumentError("no layer signatures to export");
  if (bits.empty()) return absl::InvalidArgumentError("--bits: no bit widths given");
  std::vector<std::pair<int, int>> pairs;
  for (int b : bits) {
    if (!IsSupportedBitWidth(b)) {
      return absl::InvalidArgumentError(absl::StrCat("--bits: ", b, " is outside 1..32"));
    }
  }
  for (int act : bits) {
    for (int w : bits) pairs.emplace_back(act, w);
  }
  for (size_t i = 0; i < signatures.size(); ++i) {
    if (absl::Status st = signatures[i].Validate(); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("signature ", i, ": ", st.message()));
    }
  }
  return ExportSpecCsv(signatures, pairs);
}

void AddProfileCommands(CLI::App& app, ModelSignaturesFn model_signatures,
                        ProfileServerFn profile_server, std::shared_ptr<ConnectionFlags> connection) {
  auto args = std::make_shared<ProfileArgs>();
  args->server = connection != nullptr ? std::move(connection) : std::make_shared<ConnectionFlags>();
  auto add_server_flags = [args](CLI::App* cmd) {
    AddConnectionOptions(cmd, args->server);
    cmd->add_flag("--local", args->local, "Use the local profiles folder even with a server set");
  };
  CLI::App* profiles = app.add_subcommand("profiles", "List, show, export and import hardware "
                                                      "latency profiles");
  profiles->require_subcommand(1);
  profiles->add_option("--profiles-dir", args->profiles_dir,
                       "Folder of imported profiles (default $BITSEARCH_HOME/profiles or "
                       "~/.bitsearch/profiles)");

  CLI::App* list = profiles->add_subcommand("list", "List built-in and imported profiles");
  list->add_flag("--json", args->json, "Machine-readable output");
  add_server_flags(list);
  list->callback([args, profile_server]() { List(*args, ServerFor(*args, profile_server).get()); });

  CLI::App* show = profiles->add_subcommand("show", "Show a profile's numbers and sources");
  show->add_option("name", args->name, "Profile name")->required();
  show->add_flag("--json", args->json, "Print the profile's JSON");
  add_server_flags(show);
  show->callback([args, profile_server]() { Show(*args, ServerFor(*args, profile_server).get()); });

  CLI::App* spec = profiles->add_subcommand(
      "export-spec", "Write the CSV of unique layer signatures x bit pairs to measure on a device");
  spec->add_option("--model", args->model, "Zoo model name or ONNX path");
  spec->add_option("--model-signatures", args->signatures_file,
                   "JSON file with the layer signatures (array of objects)");
  spec->add_option("--bits", args->bits, "Bit widths of the grid (default 2,4,8)")->delimiter(',');
  spec->add_option("--out", args->out, "Output CSV (default: stdout)");
  spec->callback([args, model_signatures]() { ExportSpec(*args, model_signatures); });

  CLI::App* import = profiles->add_subcommand("import", "Validate a measured CSV and store it "
                                                        "as a profile");
  import->add_option("csv", args->csv, "Measured CSV file")->required();
  import->add_option("--name", args->name, "Profile name (a-z, 0-9, . _ -)")->required();
  import->add_option("--unit", args->unit, "Unit of the latency column")
      ->check(CLI::IsMember({"seconds", "cycles"}));
  import->add_flag("--allow-fallback", args->allow_fallback,
                   "Scale unmeasured shapes from the nearest measured signature");
  import->add_option("--description", args->description, "Free text shown by `profiles show`");
  add_server_flags(import);
  import->callback(
      [args, profile_server]() { Import(*args, ServerFor(*args, profile_server).get()); });
}

}  // namespace bitsearch
