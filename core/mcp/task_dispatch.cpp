// The tasks extension in the dispatcher: running a tools/call as a task, and
// tasks/get, tasks/update and tasks/cancel.

#include <condition_variable>
#include <mutex>

#include "core/mcp/call_context.hpp"
#include "core/mcp/dispatcher.hpp"

namespace portcullis::mcp {

using jsonrpc::Message;
namespace codes = jsonrpc::codes;

namespace {

std::string ownerOf(const RequestScope& scope) {
  return scope.principal.subject + "|" + scope.principal.clientId;
}

// Where the worker's outcome goes: back to the waiting request when it is
// ready within the window, into the task once the client holds a handle.
struct Handoff {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  bool parked = false;    // the task is waiting for the client's input
  bool detached = false;  // the client got a CreateTaskResult
  Outcome outcome;
};

}  // namespace

Reply Dispatcher::callAsTask(const CatalogEntry& tool, const Message& request, RequestScope& scope) {
  auto task = tasks_->create(ownerOf(scope));
  if (!task) return error(request, codes::kServerError, "Too many tasks; try again later");

  auto handoff = std::make_shared<Handoff>();
  task->onChange([handoff](const Task& t) {
    if (t.status() != Task::Status::InputRequired && !t.released()) return;
    {
      std::lock_guard lock(handoff->mutex);
      handoff->parked = true;
    }
    handoff->cv.notify_all();
  });

  // The worker owns copies: the HTTP request is gone once the client holds
  // the task handle.
  auto provider = tool.provider;
  auto requestCopy = std::make_shared<Message>(request);
  auto scopeCopy = std::make_shared<RequestScope>(scope);
  scopeCopy->stream.reset();
  scopeCopy->session.reset();
  scopeCopy->cancellation = task->cancellation();
  scopeCopy->task = task;
  tasks_->run([this, provider, requestCopy, scopeCopy, task, handoff] {
    json::ObjectPtr params = requestCopy->params;
    for (int round = 0;; ++round) {
      Outcome outcome = execute(provider, requestCopy->method, params, *requestCopy, *scopeCopy);
      {
        std::lock_guard lock(handoff->mutex);
        if (!handoff->detached) {
          // Still within the window: the waiting request answers, even
          // with an input_required round (which then creates no task).
          handoff->outcome = std::move(outcome);
          handoff->done = true;
          handoff->cv.notify_all();
          return;
        }
      }
      if (isInterim(outcome) && round + 1 < options_.maxInputRounds) {
        // The provider asks for input after the client got the task: park
        // the task on its questions and call it again with the answers.
        auto questions = json::getObject(outcome.result, "inputRequests");
        if (!questions) {
          task->fail(codes::kInternalError, "input_required without inputRequests");
          return;
        }
        InputReplay replay;
        RequestCallContext context(*scopeCopy, *requestCopy, options_, replay);
        json::ObjectPtr answers = json::makeObject();
        for (auto& [key, reply] : context.clientRequests(questions)) {
          if (reply.status != CallContext::ClientReply::Status::Ok) {
            if (reply.status == CallContext::ClientReply::Status::Error && reply.error) {
              task->fail(static_cast<int>(json::getInt(reply.error, "code").value_or(codes::kInternalError)),
                         json::getString(reply.error, "message").value_or("the client refused " + key));
            } else {
              task->cancel();
            }
            return;
          }
          answers->set(key, reply.result);
        }
        params = json::clone(params);
        params->set("inputResponses", answers);
        if (auto state = json::getString(outcome.result, "requestState")) {
          params->set("requestState", *state);
        } else {
          params->remove("requestState");
        }
        continue;
      }
      switch (outcome.status) {
        case Outcome::Status::Ok:
          if (isInterim(outcome)) {
            task->fail(codes::kInternalError, "too many rounds of input requests");
            return;
          }
          outcome.result->remove("resultType");
          task->complete(outcome.result);
          return;
        case Outcome::Status::Error:
          task->fail(outcome.errorCode, outcome.errorMessage, outcome.errorData);
          return;
        case Outcome::Status::Cancelled:
        case Outcome::Status::InputRequired:
          task->cancel();
          return;
      }
    }
  });

  std::unique_lock lock(handoff->mutex);
  handoff->cv.wait_for(lock, tasks_->options().syncWindow, [&] { return handoff->done || handoff->parked; });
  if (handoff->done) {
    // Fast enough (or an input_required round before any task exists):
    // answer directly and forget the task.
    Outcome outcome = std::move(handoff->outcome);
    lock.unlock();
    tasks_->remove(task->id());
    return finish(request, scope, std::move(outcome), false);
  }
  handoff->detached = true;
  lock.unlock();
  json::ObjectPtr created = task->toJson(false);
  created->set("resultType", std::string("task"));
  return result(request, scope, created, false);
}

Reply Dispatcher::taskMethod(const Message& request, RequestScope& scope) {
  const std::string& m = request.method;
  if (tasks_ == nullptr || (m != "tasks/get" && m != "tasks/update" && m != "tasks/cancel")) {
    return error(request, codes::kMethodNotFound, "Method not found: " + m);
  }
  if (!json::getObject(json::getObject(scope.clientCapabilities, "extensions"), kTasksExtension)) {
    json::ObjectPtr extensions = json::makeObject();
    extensions->set(kTasksExtension, json::makeObject());
    json::ObjectPtr required = json::makeObject();
    required->set("extensions", extensions);
    json::ObjectPtr data = json::makeObject();
    data->set("requiredCapabilities", required);
    return error(request, codes::kMissingClientCapability,
                 std::string("Missing required client capability: ") + kTasksExtension, data);
  }
  auto taskId = json::getString(request.params, "taskId");
  if (!taskId) return error(request, codes::kInvalidParams, "Invalid params: taskId is required");
  auto task = tasks_->find(*taskId);
  // A task is only visible to whoever created it.
  if (!task || task->owner() != ownerOf(scope)) {
    return error(request, codes::kInvalidParams, "Unknown task: " + *taskId);
  }
  if (m == "tasks/get") return result(request, scope, task->toJson(true), false);
  if (m == "tasks/update") {
    auto responses = json::getObject(request.params, "inputResponses");
    if (!responses) return error(request, codes::kInvalidParams, "Invalid params: inputResponses must be an object");
    std::vector<std::string> keys;
    responses->getNames(keys);
    for (const auto& key : keys) {
      if (!json::isObject(responses->get(key))) {
        return error(request, codes::kInvalidParams, "Invalid params: inputResponses." + key + " must be an object");
      }
    }
    task->answer(responses);
    return result(request, scope, json::makeObject(), false);
  }
  task->cancel();
  return result(request, scope, json::makeObject(), false);
}

}  // namespace portcullis::mcp
