#pragma once
// Shared by the plugin ABI suites: where the fake plugins were built, a
// scratch directory under the build tree, YAML written at test time, and the
// table of broken plugins with what the host must say about each.

#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace portcullis::testing {

// Absolute path of a fake plugin built by tests/plugin_abi/CMakeLists.txt,
// by target name ("fake_no_entry", "sdk_connector", ...). Also "demo".
std::string pluginPath(const std::string& target);

// A fresh directory under the build tree, removed with everything in it on
// destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to <dir>/<name> and returns the absolute path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

std::string readFile(const std::string& path);

// 1-based number of the first line of `text` containing `needle` at or after
// line `from`; 0 when there is none.
int lineContaining(const std::string& text, const std::string& needle, int from = 1);

// Replaces @PLUGIN_DIR@ with the build's plugin directory and @FAKE:<target>@
// with pluginPath(<target>).
std::string expandPlaceholders(std::string text);

// Reads a file under tests/fixtures/ and expands its placeholders.
std::string fixtureText(const std::string& relative);

// One way for a declared plugin to be wrong.
struct FailureCase {
  std::string id;       // test name; the plugin is declared as "bad_<id>"
  std::string library;  // a build target, or a path under the scratch dir when it starts with "@SCRATCH@/"
  std::string kind = "primitives";
  std::vector<std::string> configLines;  // YAML lines under `config:`, without indentation
  // Where the issue points: "plugins[1]" followed by this suffix.
  std::string pathSuffix;
  // Text the reason must contain.
  std::string reason;
  // Whether `config check` and `plugins list` see it: they load and check
  // each plugin but do not create it.
  bool seenWithoutCreating = true;
  // Write a file that is not a shared library at the library path first.
  bool writeNotALibrary = false;

  std::string pluginName() const { return "bad_" + id; }
};

std::vector<FailureCase> failureCases();
std::vector<FailureCase> failureCasesSeenWithoutCreating();

// A configuration file for one case: the demo plugin first, then the broken
// one as plugins[1], each key on its own line.
struct CaseConfig {
  std::string file;  // absolute path of the written YAML
  std::string text;
  std::string expectedPath;  // e.g. "plugins[1].library"
  int expectedLine = 0;      // the line of that YAML node
};
CaseConfig writeCaseConfig(const FailureCase& c, const ScratchDir& dir);

void PrintTo(const FailureCase& c, std::ostream* os);

}  // namespace portcullis::testing
