// How `bitsearch` (free of LibTorch) runs a command that needs LibTorch: it runs its own command
// line again as `bitsearch-embedded`, the binary beside it, in the same process (execv), so the
// pid, environment, terminal, signals and exit code are those of the command the user typed.
// See cli_main.h for why there are two binaries. Thread-safety: main's thread only.
#ifndef BITSEARCH_CLIENT_EMBEDDED_HANDOFF_H_
#define BITSEARCH_CLIENT_EMBEDDED_HANDOFF_H_

#include <CLI/CLI.hpp>

#include <string>

namespace bitsearch {

// The file name of the binary that runs the LibTorch commands, beside `bitsearch`.
inline constexpr char kEmbeddedBinary[] = "bitsearch-embedded";

// Replaces this process with kEmbeddedBinary from this binary's folder, given `argv` (main's,
// null-terminated) unchanged. Returns only by throwing: when it cannot be started, it prints why
// on stderr and throws CLI::RuntimeError with exit code 1.
[[noreturn]] void HandOffToEmbedded(char** argv);

// Adds subcommand `name` to `parent`: it accepts any arguments (its options, --help included,
// are those of kEmbeddedBinary's `name`) and hands the whole command line `argv` over.
void AddHandOffCommand(CLI::App& parent, const std::string& name, const std::string& description,
                       char** argv);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_EMBEDDED_HANDOFF_H_
