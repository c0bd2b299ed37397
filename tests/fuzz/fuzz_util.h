// Shared by the libFuzzer targets of tests/fuzz: property checks that stop the run
// (libFuzzer then saves the input as crash-*), and splitting one input into fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/validate.h"

namespace herald::fuzz {

// What a harness is checking (a built message, a rendered HTML): printed, escaped, when a
// check fails, so a crash input explains itself.
inline std::string& FailureContext() {
  static std::string context;
  return context;
}

inline void PrintFailure(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: property violated: %s\n", file, line, what);
  const std::string& context = FailureContext();
  if (context.empty()) return;
  std::string shown;
  for (size_t i = 0; i < context.size() && i < 8192; ++i) {
    const auto c = static_cast<unsigned char>(context[i]);
    char buf[8];
    std::snprintf(buf, sizeof buf,
                  c == '\n'                 ? "\\n\n"
                  : (c < 0x20 || c >= 0x7f) ? "\\x%02x"
                                            : "%c",
                  c);
    shown += buf;
  }
  std::fprintf(stderr, "context:\n%s\n", shown.c_str());
}

}  // namespace herald::fuzz

// A property of the code under test that the input broke: says which, then traps.
#define HERALD_FUZZ_CHECK(cond)                                \
  do {                                                         \
    if (!(cond)) {                                             \
      ::herald::fuzz::PrintFailure(__FILE__, __LINE__, #cond); \
      __builtin_trap();                                        \
    }                                                          \
  } while (0)

namespace herald::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input cut at every NUL byte: the fields of a structured input. Corpus files write
// them with printf '...\0...'.
inline std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t nul = text.find('\0', start);
    fields.push_back(text.substr(start, nul == std::string_view::npos ? nul : nul - start));
    if (nul == std::string_view::npos) return fields;
    start = nul + 1;
  }
}

inline bool IsValidUtf8(std::string_view text) {
  return !herald::FindInvalidUtf8(text);
}

// `text` with every ill-formed UTF-8 byte replaced by '?': what passed the API's UTF-8
// check (case data, names, subjects) always is well-formed.
inline std::string ValidUtf8(std::string_view text) {
  std::string out(text);
  size_t from = 0;
  while (auto bad = herald::FindInvalidUtf8(std::string_view(out).substr(from))) {
    out[from + *bad] = '?';
    from += *bad + 1;
  }
  return out;
}

}  // namespace herald::fuzz
