// bitsearch-embedded: the whole `bitsearch` command line with the commands that need LibTorch
// (`run`, `profiles measure`, `profiles export-spec --model`, `datasets`). `bitsearch` hands
// those to it (cli_main.h); it runs every other command as `bitsearch` does.
#include "base/blas_core.h"
#include "client/cli_main.h"
#include "client/dataset_commands.h"
#include "client/profile_measure_command.h"
#include "client/run_command.h"

int main(int argc, char** argv) {
  bitsearch::RestartWithBetterBlasCore(argv);  // before LibTorch does anything (base/blas_core.h)
  bitsearch::EmbeddedCommands embedded;
  embedded.add_run = [](CLI::App& app) { bitsearch::AddRunCommands(app); };
  embedded.add_measure = [](CLI::App& profiles) { bitsearch::AddProfileMeasureCommand(profiles); };
  embedded.model_signatures = bitsearch::SignaturesOfModel;
  embedded.add_datasets = bitsearch::AddDatasetCommands;
  return bitsearch::CliMain(argc, argv, "bitsearch-embedded", embedded);
}
