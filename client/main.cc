// bitsearch: the command-line client. Parses flags and hands each subcommand to its group.
#include <CLI/CLI.hpp>

#include <memory>

#include "bitsearch/version.h"
#include "client/bench_load_command.h"
#include "client/catalog_commands.h"
#include "client/cli_common.h"
#include "client/compare_command.h"
#include "client/dataset_commands.h"
#include "client/profile_commands.h"
#include "client/profile_measure_command.h"
#include "client/remote_profiles.h"
#include "client/run_command.h"
#include "client/service_commands.h"
#include "client/sweep_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"bitsearch: hardware-aware mixed-precision quantization search"};
  app.set_version_flag("--version", "bitsearch " BITSEARCH_VERSION);
  app.require_subcommand(1);
  // Global options: the connection flags before the subcommand fill the same struct as the
  // subcommands' own (`bitsearch --server X submit SPEC` == `bitsearch submit SPEC --server X`).
  auto connection = std::make_shared<bitsearch::ConnectionFlags>();
  bitsearch::AddConnectionOptions(&app, connection);
  bitsearch::AddRunCommands(app);
  bitsearch::AddCatalogCommands(app);
  bitsearch::AddProfileCommands(app, bitsearch::SignaturesOfModel, bitsearch::ConnectProfileServer,
                                connection);
  bitsearch::AddProfileMeasureCommand(*app.get_subcommand("profiles"));
  bitsearch::AddServiceCommands(app, connection);
  bitsearch::AddSweepCommand(app, connection);
  bitsearch::AddCompareCommand(app, connection);
  bitsearch::AddDatasetCommands(app, connection);
  bitsearch::AddBenchLoadCommand(app, connection);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a subcommand finished with this exit code
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 (CLI11's own codes are 100-127).
    return app.exit(e) == 0 ? 0 : bitsearch::kExitUsage;
  }
  return 0;
}
