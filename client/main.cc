// bitsearch: the command-line client. Parses flags and hands each subcommand to its group.
#include <CLI/CLI.hpp>

#include "client/run_command.h"
#ifdef BITSEARCH_HAVE_PROFILE_COMMANDS
#include "client/profile_commands.h"
#include "client/profile_measure_command.h"
#endif
#ifdef BITSEARCH_HAVE_SERVICE_COMMANDS
#include "client/service_commands.h"
#endif
#if defined(BITSEARCH_HAVE_PROFILE_COMMANDS) && defined(BITSEARCH_HAVE_SERVICE_COMMANDS)
#include "client/remote_profiles.h"
#endif

int main(int argc, char** argv) {
  CLI::App app{"bitsearch: hardware-aware mixed-precision quantization search"};
  app.require_subcommand(1);
  bitsearch::AddRunCommands(app);
#if defined(BITSEARCH_HAVE_PROFILE_COMMANDS) && defined(BITSEARCH_HAVE_SERVICE_COMMANDS)
  bitsearch::AddProfileCommands(app, bitsearch::SignaturesOfModel, bitsearch::ConnectProfileServer);
  bitsearch::AddProfileMeasureCommand(*app.get_subcommand("profiles"));
#elif defined(BITSEARCH_HAVE_PROFILE_COMMANDS)
  bitsearch::AddProfileCommands(app, bitsearch::SignaturesOfModel);
  bitsearch::AddProfileMeasureCommand(*app.get_subcommand("profiles"));
#endif
#ifdef BITSEARCH_HAVE_SERVICE_COMMANDS
  bitsearch::AddServiceCommands(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a subcommand finished with this exit code
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
