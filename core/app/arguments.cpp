#include "core/app/arguments.hpp"

#include <algorithm>
#include <filesystem>

namespace portcullis::app {

namespace {
bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}
}  // namespace

std::optional<std::string> Parsed::option(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

Parsed parse(const std::vector<std::string>& args, size_t from, const std::vector<std::string>& valued,
             const std::vector<std::string>& flags) {
  Parsed p;
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      p.help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0 || a == "--") {
      p.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (listed(flags, name)) {
      if (value) {
        p.error = "--" + name + " takes no value";
        return p;
      }
      p.options[name] = "";
      continue;
    }
    if (!listed(valued, name)) {
      p.error = "unknown option --" + name;
      return p;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        p.error = "--" + name + " needs a value";
        return p;
      }
      value = args[++i];
    }
    p.options[name] = *value;
  }
  return p;
}

config::Config loadConfig(const Parsed& p) {
  if (auto file = p.option("config")) return config::loadConfigFile(*file);
  if (std::filesystem::exists(kDefaultConfig)) return config::loadConfigFile(kDefaultConfig);
  return config::loadConfigText(embeddedConfig(), "<embedded default>");
}

}  // namespace portcullis::app
