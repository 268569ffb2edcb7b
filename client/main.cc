// bitsearch: the command-line client, free of LibTorch so that it starts at once. The commands
// that need LibTorch are handed, command line unchanged, to bitsearch-embedded (cli_main.h).
#include "client/cli_main.h"
#include "client/dataset_commands.h"
#include "client/embedded_handoff.h"
#include "client/profile_measure_command.h"
#include "client/run_command.h"

int main(int argc, char** argv) {
  bitsearch::EmbeddedCommands embedded;
  embedded.add_run = [argv](CLI::App& app) {
    bitsearch::AddHandOffCommand(app, "run", bitsearch::kRunCommandHelp, argv);
  };
  embedded.add_measure = [argv](CLI::App& profiles) {
    bitsearch::AddHandOffCommand(profiles, "measure", bitsearch::kMeasureCommandHelp, argv);
  };
  embedded.model_signatures =
      [argv](const std::string&) -> absl::StatusOr<std::vector<bitsearch::LayerSignature>> {
    bitsearch::HandOffToEmbedded(argv);
  };
  embedded.add_datasets = [argv](CLI::App& app, std::shared_ptr<bitsearch::ConnectionFlags>) {
    bitsearch::AddHandOffCommand(app, "datasets", bitsearch::kDatasetsCommandHelp, argv);
  };
  return bitsearch::CliMain(argc, argv, "bitsearch", embedded);
}
