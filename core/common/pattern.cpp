#include "core/common/pattern.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <mutex>
#include <unordered_map>

namespace portcullis::common {

namespace {

constexpr uint32_t kMatchLimit = 1'000'000;
constexpr uint32_t kDepthLimit = 10'000;
constexpr uint32_t kHeapLimitKiB = 8 * 1024;
constexpr size_t kCacheSize = 1024;

struct Compiled {
  pcre2_code* code = nullptr;
  std::string error;
  ~Compiled() {
    if (code != nullptr) pcre2_code_free(code);
  }
};

std::shared_ptr<Compiled> compile(const std::string& pattern) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::shared_ptr<Compiled>> cache;
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(pattern); it != cache.end()) return it->second;
  }
  auto compiled = std::make_shared<Compiled>();
  int code = 0;
  PCRE2_SIZE offset = 0;
  compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_UTF | PCRE2_UCP, &code, &offset, nullptr);
  if (compiled->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code, message, sizeof message);
    compiled->error = reinterpret_cast<const char*>(message);
  }
  std::lock_guard lock(mutex);
  if (cache.size() >= kCacheSize) cache.clear();
  cache.emplace(pattern, compiled);
  return compiled;
}

}  // namespace

Pattern::Result Pattern::search(const std::string& pattern, std::string_view text) {
  auto compiled = compile(pattern);
  if (compiled->code == nullptr) return Result::Invalid;
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(context, kMatchLimit);
  pcre2_set_depth_limit(context, kDepthLimit);
  pcre2_set_heap_limit(context, kHeapLimitKiB);
  pcre2_match_data* data = pcre2_match_data_create_from_pattern(compiled->code, nullptr);
  const int rc = pcre2_match(compiled->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0,
                             data, context);
  pcre2_match_data_free(data);
  pcre2_match_context_free(context);
  if (rc >= 0) return Result::Match;
  if (rc == PCRE2_ERROR_NOMATCH) return Result::NoMatch;
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
    return Result::TooComplex;
  }
  return Result::Invalid;  // e.g. the text is not valid UTF-8
}

std::string Pattern::error(const std::string& pattern) { return compile(pattern)->error; }

}  // namespace portcullis::common
