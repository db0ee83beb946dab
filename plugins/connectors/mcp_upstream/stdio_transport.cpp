#include "stdio_transport.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace portcullis::mcp_upstream {

namespace {

std::string quoted(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& a : argv) text += (text.empty() ? "" : " ") + a;
  return text;
}

// Reads lines from fd until EOF, each at most `cap` bytes; returns the reason it stopped.
template <typename OnLine>
std::string readLines(int fd, size_t cap, OnLine onLine) {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n == 0) return "end of output";
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::string("read failed: ") + std::strerror(errno);
    }
    buffer.append(chunk, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = buffer.substr(start, nl - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) onLine(line);
    }
    buffer.erase(0, start);
    if (buffer.size() > cap) return "a line longer than " + std::to_string(cap) + " bytes";
  }
}

}  // namespace

std::string StdioTransport::describe() const {
  return "stdio process `" + quoted(settings_.argv) + "`";
}

void StdioTransport::open(Handlers handlers) {
  handlers_ = std::move(handlers);
  int in[2], out[2], err[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
    throw UpstreamError("socketpair failed");
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw UpstreamError("pipe failed");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[1], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  if (!settings_.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, settings_.cwd.c_str());

  // The inherited environment plus the configured variables.
  std::vector<std::string> envText;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (settings_.env.count(name) == 0) envText.push_back(entry);
  }
  for (const auto& [k, v] : settings_.env) envText.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : envText) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argText = settings_.argv;
  std::vector<char*> argv;
  for (auto& a : argText) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[1]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(in[0]);
    ::close(out[0]);
    ::close(err[0]);
    throw UpstreamError("cannot start `" + settings_.argv[0] + "`: " + std::strerror(rc));
  }
  pid_ = pid;
  stdin_ = in[0];
  stdoutThread_ = std::thread([this, fd = out[0]] { readStdout(fd); });
  stderrThread_ = std::thread([this, fd = err[0]] { readStderr(fd); });
}

void StdioTransport::readStdout(int fd) {
  const std::string why = readLines(fd, kMaxMessageBytes, [&](const std::string& line) {
    std::string reason;
    if (auto message = parseMessage(line, reason)) {
      handlers_.inbound(*message, std::nullopt);
    } else {
      handlers_.log(sdk::LogLevel::Warning, "ignored output of the upstream: " + reason);
    }
  });
  ::close(fd);
  reap(why);
}

void StdioTransport::readStderr(int fd) {
  readLines(fd, 64 * 1024, [&](const std::string& line) {
    handlers_.log(sdk::LogLevel::Info, "stderr: " + line);
  });
  ::close(fd);
}

void StdioTransport::reap(const std::string& why) {
  {
    std::lock_guard lock(reapMutex_);
    if (reaped_) return;
    reaped_ = true;
  }
  // The output ended (or broke the protocol): make sure the process is gone.
  ::kill(pid_, SIGTERM);
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 40 && (done = ::waitpid(pid_, &status, WNOHANG)) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (done == 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  std::string reason = "the process " + std::to_string(pid_);
  if (WIFEXITED(status))
    reason += " exited with status " + std::to_string(WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    reason += " was killed by signal " + std::to_string(WTERMSIG(status));
  reason += " (" + why + ")";
  {
    std::lock_guard lock(writeMutex_);
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }
  if (!closing_) handlers_.lost(reason);
}

void StdioTransport::send(const Json& message, const Headers&) {
  const std::string line = message.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  std::lock_guard lock(writeMutex_);
  if (stdin_ < 0) throw UpstreamError("the upstream process is not running");
  size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = ::send(stdin_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw UpstreamError(std::string("cannot write to the upstream process: ") +
                          std::strerror(errno));
    }
    sent += static_cast<size_t>(n);
  }
}

void StdioTransport::close() {
  if (pid_ < 0) return;
  closing_ = true;
  {
    std::lock_guard lock(writeMutex_);
    // Closing stdin asks a well-behaved server to stop; the reader reaps it.
    if (stdin_ >= 0) ::shutdown(stdin_, SHUT_WR);
  }
  if (stdoutThread_.joinable()) {
    // reap() (on the reader thread) escalates to SIGTERM and SIGKILL.
    ::kill(pid_, SIGTERM);
    stdoutThread_.join();
  }
  if (stderrThread_.joinable()) stderrThread_.join();
  pid_ = -1;
}

}  // namespace portcullis::mcp_upstream
