#pragma once
// The logging facade: the rest of schemagate sees these few functions, and only log.cpp includes
// spdlog (it is heavy to compile). Lines go to stderr; stdout belongs to command output.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace schemagate::log {

enum class Level { debug, info, warn, error };
enum class Format { text, json };

// Extra key/value pairs: appended as `key=value` in text, as members in JSON.
using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Colour is used only when stderr is a terminal (SPEC §6). In text, control characters in a message
// or a value are written as JSON escapes them (\n, \u0007): a line is always one line.
void init(Format format, Level level);

// Every line is scrubbed of registered secrets before it is written: a last line of defence behind
// the masking done where secrets are handled. Each secret is masked in every spelling a program
// may print it in (percent-encoded, JSON-escaped) as scrub_secrets does (util/secret.h).
void add_secret(std::string_view secret);
std::string scrub(std::string text);

void debug(std::string_view message, Fields fields = {});
void info(std::string_view message, Fields fields = {});
void warn(std::string_view message, Fields fields = {});
void error(std::string_view message, Fields fields = {});

}  // namespace schemagate::log
