#include "log/log.h"

#include "util/json.h"
#include "util/secret.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace schemagate::log {
namespace {

struct State {
  Format format = Format::text;
  std::shared_ptr<spdlog::logger> logger;
  std::vector<std::string> secrets;
};

State& state() {
  static State s;
  return s;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// spdlog's own names ("warning", "critical") do not match LOG_LEVEL's words; print ours.
class LevelFlag : public spdlog::custom_flag_formatter {
 public:
  explicit LevelFlag(bool upper) : upper_(upper) {}
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string_view name = "info";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: name = upper_ ? "DEBUG" : "debug"; break;
      case spdlog::level::warn: name = upper_ ? "WARN " : "warn"; break;
      case spdlog::level::err:
      case spdlog::level::critical: name = upper_ ? "ERROR" : "error"; break;
      default: name = upper_ ? "INFO " : "info"; break;
    }
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>(upper_);
  }

 private:
  bool upper_;
};

void append_json_string(std::string& out, std::string_view s) { out += json_string(s); }

bool has_control(std::string_view v) {
  return std::any_of(v.begin(), v.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Text values with spaces are quoted so `key=value` pairs stay machine-splittable, and values with
// control characters so that they stay on the line.
void append_text_value(std::string& out, std::string_view v) {
  if (!v.empty() && v.find_first_of(" \"=") == std::string_view::npos && !has_control(v)) {
    out += v;
    return;
  }
  append_json_string(out, v);
}

// Each part is scrubbed before it is escaped (a short password is then masked where it is a whole
// value), and the whole line again after.
std::string render(std::string_view message, Fields fields) {
  std::string out;
  if (state().format == Format::json) {
    out += "\"msg\":";
    append_json_string(out, scrub(std::string(message)));
    for (const auto& [k, v] : fields) {
      out += ',';
      append_json_string(out, k);
      out += ':';
      append_json_string(out, scrub(std::string(v)));
    }
    return out;
  }
  // A control character written as it is would start a line of its own (a file name with a
  // newline could forge one): written as JSON writes it, as in json format.
  out += escape_controls(scrub(std::string(message)));
  for (const auto& [k, v] : fields) {
    out += ' ';
    out += k;
    out += '=';
    append_text_value(out, scrub(std::string(v)));
  }
  return scrub(std::move(out));
}

void write(Level level, std::string_view message, Fields fields) {
  State& s = state();
  if (!s.logger) init(Format::text, Level::info);
  if (!s.logger->should_log(to_spdlog(level))) return;
  s.logger->log(to_spdlog(level), "{}", render(message, fields));
}

}  // namespace

void init(Format format, Level level) {
  State& s = state();
  s.format = format;
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_st>(spdlog::color_mode::automatic);
  s.logger = std::make_shared<spdlog::logger>("schemagate", std::move(sink));
  bool json = format == Format::json;
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<LevelFlag>('*', !json);
  formatter->set_pattern(json ? R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%*",%v})"
                              : "%Y-%m-%dT%H:%M:%S.%eZ %^%*%$ %v");
  s.logger->set_formatter(std::move(formatter));
  s.logger->set_level(to_spdlog(level));
  // A container's log collector sees each line as soon as it is written.
  s.logger->flush_on(spdlog::level::trace);
}

void add_secret(std::string_view secret) {
  auto& secrets = state().secrets;
  if (secret.empty() || std::find(secrets.begin(), secrets.end(), secret) != secrets.end()) return;
  secrets.emplace_back(secret);
}

std::string scrub(std::string text) { return scrub_secrets(std::move(text), state().secrets); }

void debug(std::string_view message, Fields fields) { write(Level::debug, message, fields); }
void info(std::string_view message, Fields fields) { write(Level::info, message, fields); }
void warn(std::string_view message, Fields fields) { write(Level::warn, message, fields); }
void error(std::string_view message, Fields fields) { write(Level::error, message, fields); }

}  // namespace schemagate::log
