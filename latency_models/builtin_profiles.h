// The built-in hardware profiles, compiled into the library from latency_models/profiles/*.json
// (embed_profiles.cmake generates the definition at build time), so binaries never read the
// source tree at run time. Thread-safety: immutable data, initialised on first use.
#ifndef BITSEARCH_LATENCY_MODELS_BUILTIN_PROFILES_H_
#define BITSEARCH_LATENCY_MODELS_BUILTIN_PROFILES_H_

#include <string>
#include <vector>

namespace bitsearch {

struct EmbeddedProfile {
  const char* name;  // file stem, e.g. "pulp-xpulpv2"
  const char* json;  // the file's text
};

// All built-in profiles, sorted by name.
const std::vector<EmbeddedProfile>& BuiltinProfileSources();

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_BUILTIN_PROFILES_H_
