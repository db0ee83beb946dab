#pragma once
// The tasks extension (io.modelcontextprotocol/tasks) for 2026-07-28 clients:
// a tools/call that takes longer than a short window becomes a task the
// client polls with tasks/get, feeds with tasks/update and stops with
// tasks/cancel. The core runs the plugin call on a worker thread, so every
// plugin tool that declares execution.taskSupport gets tasks for free.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/common/json.hpp"
#include "core/mcp/cancellation.hpp"
#include "core/mcp/provider.hpp"

namespace portcullis::mcp {

inline constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";

struct TaskOptions {
  std::chrono::milliseconds ttl{3'600'000};
  std::chrono::milliseconds pollInterval{500};
  // How long a task-capable call may run before the client gets a task
  // instead of the result.
  std::chrono::milliseconds syncWindow{100};
  size_t maxTasks = 10'000;
  int workers = 64;  // at most; started as needed
};

class Task {
 public:
  enum class Status { Working, InputRequired, Completed, Failed, Cancelled };
  using Clock = std::chrono::system_clock;

  Task(std::string id, std::string owner, std::chrono::milliseconds ttl,
       std::chrono::milliseconds pollInterval);

  const std::string& id() const { return id_; }
  const std::string& owner() const { return owner_; }
  std::shared_ptr<Cancellation> cancellation() const { return cancellation_; }
  Status status() const;
  bool terminal() const;
  bool expired(Clock::time_point now) const;

  // The Task object; `detailed` adds result, error or inputRequests.
  json::ObjectPtr toJson(bool detailed) const;

  // Worker side. Parks the task on the given questions ({key: {method,
  // params}}) and blocks until every one is answered; returns the answers,
  // or nullopt when the task was cancelled or expired.
  std::optional<json::ObjectPtr> ask(const json::ObjectPtr& questions);
  void complete(json::ObjectPtr result);
  void fail(int code, const std::string& message, const json::Value& data = {});
  // A key no earlier question of this task used.
  std::string freshKey(const std::string& hint);

  // Client side. Answers outstanding questions; unknown keys are ignored.
  void answer(const json::ObjectPtr& responses);
  // Marks the task cancelled (if it is not finished) and signals the worker.
  void cancel();

  // Shown to the client while the task runs (progress, for instance).
  void setStatusMessage(std::string message);

  // The call will be slow: hand the client the task now.
  void release();
  bool released() const { return released_; }

  // Called whenever the status changes (for notifications and hand-off).
  void onChange(std::function<void(const Task&)> listener);

 private:
  void touch();  // caller holds mutex_
  void changed();

  const std::string id_;
  const std::string owner_;
  const Clock::time_point createdAt_;
  const std::chrono::milliseconds ttl_;
  const std::chrono::milliseconds pollInterval_;
  std::shared_ptr<Cancellation> cancellation_ = std::make_shared<Cancellation>();
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  Clock::time_point lastUpdatedAt_;
  Status status_ = Status::Working;
  std::string statusMessage_;
  json::ObjectPtr result_;
  json::ObjectPtr error_;
  json::ObjectPtr questions_ = json::makeObject();  // outstanding
  json::ObjectPtr answers_ = json::makeObject();
  std::vector<std::string> usedKeys_;
  std::atomic<bool> released_{false};
  std::vector<std::function<void(const Task&)>> listeners_;
};

class TaskStore {
 public:
  explicit TaskStore(TaskOptions options);
  ~TaskStore();

  const TaskOptions& options() const { return options_; }
  // nullptr when the store is full.
  std::shared_ptr<Task> create(const std::string& owner);
  std::shared_ptr<Task> find(const std::string& id) const;
  void remove(const std::string& id);
  // Drops tasks past their TTL (cancelling those still running).
  size_t sweep();
  size_t size() const;

  // Runs work on the task worker pool.
  void run(std::function<void()> work);
  void stop();

 private:
  void worker();

  const TaskOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Task>> tasks_;
  std::condition_variable workCv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> workers_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

const char* taskStatusName(Task::Status status);

}  // namespace portcullis::mcp
