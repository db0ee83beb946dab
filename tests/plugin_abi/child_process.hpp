#pragma once
// Runs the portcullis executable as a child process with its stdout and
// stderr captured. Every wait is bounded: a child that outlives its bound is
// killed and the result says so, so a hung server fails a test instead of
// hanging it. Waiting is driven by poll() on the pipes and a pidfd, never by
// sleeping.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::testing {

struct ChildResult {
  bool exited = false;    // ended through exit(); exitCode is valid
  int exitCode = -1;
  int termSignal = 0;     // the signal that ended it, when it did not exit
  bool timedOut = false;  // killed because it outlived the bound
  std::string out;
  std::string err;

  // For assertion messages.
  std::string describe() const;
};

class ChildProcess {
 public:
  // Starts `program` with `args` (not including argv[0]); stdin is /dev/null.
  // PORTCULLIS_LISTEN is removed from the environment so only the arguments
  // decide where a server listens.
  ChildProcess(const std::string& program, const std::vector<std::string>& args);
  ~ChildProcess();  // kills and reaps the child if it is still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return !reaped_; }

  // Reads stdout until a complete line containing `marker` arrives and
  // returns it; nullopt when the child ends or the bound passes first.
  std::optional<std::string> waitForLine(const std::string& marker, std::chrono::milliseconds bound);

  void sendSignal(int signal);

  // Collects the remaining output and waits for the child to end; kills it
  // when it has not ended within `bound`.
  ChildResult finish(std::chrono::milliseconds bound);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  // Waits at most until `until` for output or the child's exit; returns
  // false when nothing more can happen (child reaped and pipes at EOF).
  bool pump(std::chrono::steady_clock::time_point until);
  void reap(bool block);
  void closeFd(int& fd);

  pid_t pid_ = -1;
  int outFd_ = -1;
  int errFd_ = -1;
  int pidFd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_;
  std::string err_;
};

// Runs to completion with a bound.
ChildResult runChild(const std::string& program, const std::vector<std::string>& args,
                     std::chrono::milliseconds bound = std::chrono::seconds(120));

}  // namespace portcullis::testing
