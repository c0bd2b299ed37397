// Runs the herald binary as a child process for CLI tests.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

extern char** environ;

namespace herald::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A child with stderr redirected to a file and stdout either to a file or, when
// `out_path` is empty, to a pipe the test reads with ReadStdoutUntil.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& out_path,
        const std::string& err_path)
      : out_path_(out_path), err_path_(err_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int pipe_fds[2] = {-1, -1};
    if (out_path.empty()) {
      if (pipe(pipe_fds) != 0) return;
      posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
      posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
      posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
    } else {
      posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
    }
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    if (pipe_fds[1] >= 0) {
      close(pipe_fds[1]);
      stdout_fd_ = pipe_fds[0];
    }
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

  // Reads the piped stdout until `done(text so far)` holds, the child closes it, or
  // `timeout_ms` passes without output. Returns everything read.
  template <typename Pred>
  std::string ReadStdoutUntil(Pred done, int timeout_ms = 30000) {
    while (stdout_fd_ >= 0 && !done(stdout_)) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) break;
      char buf[4096];
      const ssize_t n = read(stdout_fd_, buf, sizeof buf);
      if (n <= 0) break;
      stdout_.append(buf, static_cast<size_t>(n));
    }
    return stdout_;
  }
  pid_t pid() const { return pid_; }
  // Sends `sig` and waits; returns the exit code (or 128+signal).
  int Stop(int sig) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    return Wait();
  }
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  bool Running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stdout_;
  std::string out_path_, err_path_;
};

inline std::string ReadFile(const std::string& path) {
  std::string data;
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return data;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
  close(fd);
  return data;
}

// Runs to completion and captures both streams.
inline RunResult Run(const std::vector<std::string>& args, const std::string& scratch_dir) {
  const std::string out = scratch_dir + "/run.out", err = scratch_dir + "/run.err";
  Child child(args, out, err);
  RunResult r;
  r.exit_code = child.Wait();
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

}  // namespace herald::testing
