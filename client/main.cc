// bitsearch: the command-line client. Parses flags and hands each subcommand to its group.
#include <CLI/CLI.hpp>

#include "client/profile_commands.h"
#include "client/profile_measure_command.h"
#include "client/remote_profiles.h"
#include "client/run_command.h"
#include "client/service_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"bitsearch: hardware-aware mixed-precision quantization search"};
  app.require_subcommand(1);
  bitsearch::AddRunCommands(app);
  bitsearch::AddProfileCommands(app, bitsearch::SignaturesOfModel, bitsearch::ConnectProfileServer);
  bitsearch::AddProfileMeasureCommand(*app.get_subcommand("profiles"));
  bitsearch::AddServiceCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a subcommand finished with this exit code
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
