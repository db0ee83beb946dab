#include "core/mcp/tasks.hpp"

#include <algorithm>
#include <ctime>

#include "core/common/log.hpp"
#include "core/common/random.hpp"

namespace portcullis::mcp {

namespace {

std::string iso8601(Task::Clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

}  // namespace

const char* taskStatusName(Task::Status status) {
  switch (status) {
    case Task::Status::Working:
      return "working";
    case Task::Status::InputRequired:
      return "input_required";
    case Task::Status::Completed:
      return "completed";
    case Task::Status::Failed:
      return "failed";
    case Task::Status::Cancelled:
      return "cancelled";
  }
  return "working";
}

Task::Task(std::string id, std::string owner, std::chrono::milliseconds ttl,
           std::chrono::milliseconds pollInterval)
    : id_(std::move(id)),
      owner_(std::move(owner)),
      createdAt_(Clock::now()),
      ttl_(ttl),
      pollInterval_(pollInterval),
      lastUpdatedAt_(createdAt_) {}

Task::Status Task::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

bool Task::terminal() const {
  const Status s = status();
  return s == Status::Completed || s == Status::Failed || s == Status::Cancelled;
}

bool Task::expired(Clock::time_point now) const { return now > createdAt_ + ttl_; }

json::ObjectPtr Task::toJson(bool detailed) const {
  std::lock_guard lock(mutex_);
  json::ObjectPtr o = json::makeObject();
  o->set("taskId", id_);
  o->set("status", std::string(taskStatusName(status_)));
  if (!statusMessage_.empty()) o->set("statusMessage", statusMessage_);
  o->set("createdAt", iso8601(createdAt_));
  o->set("lastUpdatedAt", iso8601(lastUpdatedAt_));
  o->set("ttlMs", static_cast<int64_t>(ttl_.count()));
  o->set("pollIntervalMs", static_cast<int64_t>(pollInterval_.count()));
  if (detailed) {
    if (status_ == Status::Completed && result_) o->set("result", result_);
    if (status_ == Status::Failed && error_) o->set("error", error_);
    if (status_ == Status::InputRequired) o->set("inputRequests", json::clone(questions_));
  }
  return o;
}

void Task::touch() { lastUpdatedAt_ = Clock::now(); }

void Task::changed() {
  std::vector<std::function<void(const Task&)>> listeners;
  {
    std::lock_guard lock(mutex_);
    listeners = listeners_;
  }
  for (auto& l : listeners) l(*this);
}

void Task::onChange(std::function<void(const Task&)> listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(listener));
}

std::string Task::freshKey(const std::string& hint) {
  std::lock_guard lock(mutex_);
  std::string key = hint;
  for (int n = 2; std::find(usedKeys_.begin(), usedKeys_.end(), key) != usedKeys_.end(); ++n) {
    key = hint + "#" + std::to_string(n);
  }
  usedKeys_.push_back(key);
  return key;
}

std::optional<json::ObjectPtr> Task::ask(const json::ObjectPtr& questions) {
  std::vector<std::string> keys;
  questions->getNames(keys);
  {
    std::lock_guard lock(mutex_);
    if (status_ != Status::Working) return std::nullopt;
    for (const auto& key : keys) {
      questions_->set(key, questions->get(key));
      if (std::find(usedKeys_.begin(), usedKeys_.end(), key) == usedKeys_.end()) usedKeys_.push_back(key);
    }
    status_ = Status::InputRequired;
    statusMessage_ = "Waiting for the client's input";
    touch();
  }
  changed();
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] {
    if (cancellation_->cancelled() || status_ == Status::Cancelled) return true;
    for (const auto& key : keys) {
      if (!answers_->has(key)) return false;
    }
    return true;
  });
  if (cancellation_->cancelled() || status_ == Status::Cancelled) return std::nullopt;
  json::ObjectPtr out = json::makeObject();
  for (const auto& key : keys) {
    out->set(key, answers_->get(key));
    answers_->remove(key);
  }
  status_ = Status::Working;
  statusMessage_.clear();
  touch();
  lock.unlock();
  changed();
  return out;
}

void Task::complete(json::ObjectPtr result) {
  {
    std::lock_guard lock(mutex_);
    if (status_ == Status::Cancelled || status_ == Status::Failed || status_ == Status::Completed) return;
    status_ = Status::Completed;
    statusMessage_.clear();
    result_ = std::move(result);
    touch();
  }
  changed();
}

void Task::fail(int code, const std::string& message, const json::Value& data) {
  {
    std::lock_guard lock(mutex_);
    if (status_ == Status::Cancelled || status_ == Status::Failed || status_ == Status::Completed) return;
    status_ = Status::Failed;
    statusMessage_ = message;
    error_ = json::makeObject();
    error_->set("code", code);
    error_->set("message", message);
    if (!data.isEmpty()) error_->set("data", data);
    touch();
  }
  changed();
}

void Task::answer(const json::ObjectPtr& responses) {
  if (!responses) return;
  std::vector<std::string> keys;
  responses->getNames(keys);
  bool any = false;
  {
    std::lock_guard lock(mutex_);
    for (const auto& key : keys) {
      if (!questions_->has(key)) continue;  // unknown or already answered
      answers_->set(key, responses->get(key));
      questions_->remove(key);
      any = true;
    }
    if (any) touch();
  }
  if (any) cv_.notify_all();
}

void Task::setStatusMessage(std::string message) {
  std::lock_guard lock(mutex_);
  if (status_ != Status::Working) return;
  statusMessage_ = std::move(message);
  touch();
}

void Task::release() {
  released_ = true;
  changed();
}

void Task::cancel() {
  {
    std::lock_guard lock(mutex_);
    if (status_ == Status::Completed || status_ == Status::Failed || status_ == Status::Cancelled) return;
    status_ = Status::Cancelled;
    statusMessage_ = "Cancelled by the client";
    questions_ = json::makeObject();
    touch();
  }
  cancellation_->cancel();
  cv_.notify_all();
  changed();
}

TaskStore::TaskStore(TaskOptions options) : options_(options) {}

TaskStore::~TaskStore() { stop(); }

void TaskStore::stop() {
  std::vector<std::shared_ptr<Task>> running;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, task] : tasks_) running.push_back(task);
  }
  for (auto& task : running) task->cancel();
  workCv_.notify_all();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
}

std::shared_ptr<Task> TaskStore::create(const std::string& owner) {
  auto task = std::make_shared<Task>(common::randomToken(18), owner, options_.ttl, options_.pollInterval);
  std::lock_guard lock(mutex_);
  if (stopping_ || tasks_.size() >= options_.maxTasks) return nullptr;
  tasks_[task->id()] = task;
  return task;
}

std::shared_ptr<Task> TaskStore::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(id);
  // Past its TTL a task is gone, even before the sweeper removes it.
  if (it == tasks_.end() || it->second->expired(Task::Clock::now())) return nullptr;
  return it->second;
}

void TaskStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  tasks_.erase(id);
}

size_t TaskStore::sweep() {
  const auto now = Task::Clock::now();
  std::vector<std::shared_ptr<Task>> expired;
  {
    std::lock_guard lock(mutex_);
    for (auto it = tasks_.begin(); it != tasks_.end();) {
      if (it->second->expired(now)) {
        expired.push_back(it->second);
        it = tasks_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& task : expired) task->cancel();
  return expired.size();
}

size_t TaskStore::size() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

void TaskStore::run(std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(work));
    // Threads are started as work arrives, up to tasks.workers; a task
    // waiting for the client holds its thread, so idle ones are counted.
    if (idle_ < queue_.size() && workers_.size() < static_cast<size_t>(std::max(1, options_.workers))) {
      workers_.emplace_back([this] { worker(); });
    }
  }
  workCv_.notify_one();
}

void TaskStore::worker() {
  while (true) {
    std::function<void()> work;
    {
      std::unique_lock lock(mutex_);
      ++idle_;
      workCv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      work();
    } catch (const std::exception& e) {
      common::logger("tasks").error("task work failed: %s", std::string(e.what()));
    }
  }
}

}  // namespace portcullis::mcp
