#include "engine/cli/args.h"

namespace herald::cli {

ParsedArgs ParseArgs(int argc, char** argv, int first, const std::set<std::string>& with_value,
                     const std::set<std::string>& boolean) {
  ParsedArgs out;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) out.positional.push_back(argv[i]);
      break;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "help" || boolean.count(name)) {
      if (inline_value) {
        out.error = "--" + name + " takes no value";
        return out;
      }
      out.flags.insert(name);
    } else if (with_value.count(name)) {
      if (inline_value) {
        out.values[name] = *inline_value;
      } else if (i + 1 < argc) {
        out.values[name] = argv[++i];
      } else {
        out.error = "--" + name + " needs a value";
        return out;
      }
    } else {
      out.error = "unknown option --" + name;
      return out;
    }
  }
  return out;
}

}  // namespace herald::cli
