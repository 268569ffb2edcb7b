#include "client/embedded_handoff.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "client/cli_common.h"

namespace bitsearch {

void HandOffToEmbedded(char** argv) {
  // The folder of the running binary itself (symlinks resolved), not of argv[0], which may be a
  // bare name found on PATH or a link elsewhere.
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    std::cerr << "bitsearch: cannot find this binary's folder to start " << kEmbeddedBinary
              << " (/proc/self/exe: " << ec.message() << ")\n";
    throw CLI::RuntimeError(kExitFailure);
  }
  const std::string embedded = (self.parent_path() / kEmbeddedBinary).string();
  std::fflush(nullptr);
  std::cout.flush();
  execv(embedded.c_str(), argv);
  const int err = errno;
  std::cerr << "bitsearch: this command runs in " << embedded << ", which cannot be started: "
            << std::strerror(err) << " (it is built and installed beside bitsearch)\n";
  throw CLI::RuntimeError(kExitFailure);
}

void AddHandOffCommand(CLI::App& parent, const std::string& name, const std::string& description,
                       char** argv) {
  CLI::App* cmd = parent.add_subcommand(name, description);
  // Every argument after the name, --help included, is the embedded binary's to parse.
  cmd->set_help_flag();
  cmd->prefix_command();
  cmd->allow_extras();
  cmd->callback([argv] { HandOffToEmbedded(argv); });
}

}  // namespace bitsearch
