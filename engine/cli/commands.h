// herald's subcommands. Each takes the full argv and the index of its first argument,
// prints to stdout/stderr, and returns the process exit code.
#pragma once

namespace herald::cli {

int RunServe(int argc, char** argv, int first);
int RunValidate(int argc, char** argv, int first);
int RunIngest(int argc, char** argv, int first);
int RunSimulate(int argc, char** argv, int first);
int RunPreview(int argc, char** argv, int first);
int RunReport(int argc, char** argv, int first);

}  // namespace herald::cli
