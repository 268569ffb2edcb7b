#include "client/cli_main.h"

#include "bitsearch/version.h"
#include "client/bench_load_command.h"
#include "client/catalog_commands.h"
#include "client/compare_command.h"
#include "client/remote_profiles.h"
#include "client/service_commands.h"
#include "client/sweep_commands.h"

namespace bitsearch {

int CliMain(int argc, char** argv, const std::string& program, const EmbeddedCommands& embedded) {
  CLI::App app{"bitsearch: hardware-aware mixed-precision quantization search"};
  app.set_version_flag("--version", program + " " BITSEARCH_VERSION);
  app.require_subcommand(1);
  // Global options: the connection flags before the subcommand fill the same struct as the
  // subcommands' own (`bitsearch --server X submit SPEC` == `bitsearch submit SPEC --server X`).
  auto connection = std::make_shared<ConnectionFlags>();
  AddConnectionOptions(&app, connection);
  embedded.add_run(app);
  AddCatalogCommands(app);
  AddProfileCommands(app, embedded.model_signatures, ConnectProfileServer, connection);
  embedded.add_measure(*app.get_subcommand("profiles"));
  AddServiceCommands(app, connection);
  AddSweepCommand(app, connection);
  AddCompareCommand(app, connection);
  embedded.add_datasets(app, connection);
  AddBenchLoadCommand(app, connection);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a subcommand finished with this exit code
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 (CLI11's own codes are 100-127).
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  return 0;
}

}  // namespace bitsearch
