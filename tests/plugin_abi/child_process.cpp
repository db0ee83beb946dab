#include "tests/plugin_abi/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace portcullis::testing {

std::string ChildResult::describe() const {
  std::string text;
  if (timedOut) text += "timed out and was killed; ";
  if (exited) {
    text += "exit code " + std::to_string(exitCode);
  } else {
    text += "ended by signal " + std::to_string(termSignal);
  }
  text += "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
  return text;
}

namespace {

void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string(what) + ": " + std::strerror(rc));
}

}  // namespace

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args) {
  int outPipe[2];
  int errPipe[2];
  if (pipe2(outPipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  if (pipe2(errPipe, O_CLOEXEC) != 0) {
    ::close(outPipe[0]);
    ::close(outPipe[1]);
    throw std::runtime_error("pipe2 failed");
  }

  posix_spawn_file_actions_t actions;
  check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2);

  // The child starts with default dispositions and nothing blocked, whatever
  // the test runner did to its own signals.
  posix_spawnattr_t attr;
  check(posix_spawnattr_init(&attr), "posix_spawnattr_init");
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argvText;
  argvText.push_back(program);
  for (const auto& a : args) argvText.push_back(a);
  std::vector<char*> argv;
  for (auto& a : argvText) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> envText;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "PORTCULLIS_LISTEN=", 18) != 0) envText.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : envText) envp.push_back(e.data());
  envp.push_back(nullptr);

  const int rc = posix_spawn(&pid_, program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  if (rc != 0) {
    ::close(outPipe[0]);
    ::close(errPipe[0]);
    reaped_ = true;
    throw std::runtime_error("cannot start " + program + ": " + std::strerror(rc));
  }
  outFd_ = outPipe[0];
  errFd_ = errPipe[0];
  pidFd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidFd_ < 0) {
    ::kill(pid_, SIGKILL);
    reap(true);
    closeFd(outFd_);
    closeFd(errFd_);
    throw std::runtime_error(std::string("pidfd_open failed: ") + std::strerror(errno));
  }
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  closeFd(outFd_);
  closeFd(errFd_);
  closeFd(pidFd_);
}

void ChildProcess::closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void ChildProcess::reap(bool block) {
  if (reaped_) return;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = status;
    reaped_ = true;
    closeFd(pidFd_);
  }
}

void ChildProcess::sendSignal(int signal) {
  if (!reaped_) ::kill(pid_, signal);
}

bool ChildProcess::pump(std::chrono::steady_clock::time_point until) {
  if (reaped_ && outFd_ < 0 && errFd_ < 0) return false;
  pollfd fds[3];
  int* owners[3];
  std::string* sinks[3];
  nfds_t n = 0;
  if (outFd_ >= 0) {
    fds[n] = {outFd_, POLLIN, 0};
    owners[n] = &outFd_;
    sinks[n++] = &out_;
  }
  if (errFd_ >= 0) {
    fds[n] = {errFd_, POLLIN, 0};
    owners[n] = &errFd_;
    sinks[n++] = &err_;
  }
  if (pidFd_ >= 0) {
    fds[n] = {pidFd_, POLLIN, 0};
    owners[n] = &pidFd_;
    sinks[n++] = nullptr;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
  if (left.count() <= 0) return true;
  const int ready = ::poll(fds, n, static_cast<int>(std::min<long long>(left.count(), 60'000)));
  if (ready < 0) {
    if (errno == EINTR) return true;
    throw std::runtime_error(std::string("poll failed: ") + std::strerror(errno));
  }
  for (nfds_t i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    if (sinks[i] == nullptr) {
      reap(false);
      continue;
    }
    char buffer[8192];
    const ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
    if (got > 0) {
      sinks[i]->append(buffer, static_cast<size_t>(got));
    } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
      closeFd(*owners[i]);
    }
  }
  return true;
}

std::optional<std::string> ChildProcess::waitForLine(const std::string& marker,
                                                     std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  size_t scanned = 0;
  while (true) {
    size_t end;
    while ((end = out_.find('\n', scanned)) != std::string::npos) {
      std::string line = out_.substr(scanned, end - scanned);
      scanned = end + 1;
      if (line.find(marker) != std::string::npos) return line;
    }
    if (std::chrono::steady_clock::now() >= until) return std::nullopt;
    // Once stdout is closed no further line can arrive.
    if (outFd_ < 0) return std::nullopt;
    if (!pump(until)) return std::nullopt;
  }
}

ChildResult ChildProcess::finish(std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  ChildResult result;
  while (!(reaped_ && outFd_ < 0 && errFd_ < 0) && std::chrono::steady_clock::now() < until) {
    pump(until);
  }
  if (!reaped_) {
    result.timedOut = true;
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  // After a kill, whatever is still buffered in the pipes is read without waiting.
  for (int* fd : {&outFd_, &errFd_}) {
    if (*fd < 0) continue;
    ::fcntl(*fd, F_SETFL, ::fcntl(*fd, F_GETFL) | O_NONBLOCK);
    char buffer[8192];
    ssize_t got;
    while ((got = ::read(*fd, buffer, sizeof buffer)) > 0) {
      (fd == &outFd_ ? out_ : err_).append(buffer, static_cast<size_t>(got));
    }
    closeFd(*fd);
  }
  result.out = out_;
  result.err = err_;
  if (WIFEXITED(status_)) {
    result.exited = true;
    result.exitCode = WEXITSTATUS(status_);
  } else if (WIFSIGNALED(status_)) {
    result.termSignal = WTERMSIG(status_);
  }
  return result;
}

ChildResult runChild(const std::string& program, const std::vector<std::string>& args,
                     std::chrono::milliseconds bound) {
  ChildProcess child(program, args);
  return child.finish(bound);
}

}  // namespace portcullis::testing
