#include "util/secret.h"

#include <cctype>

namespace schemagate {
namespace {

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

void mask_secret(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  constexpr std::string_view kMask = "****";
  const bool whole_words_only = secret.size() < 4;
  size_t at = text.find(secret);
  while (at != std::string::npos) {
    size_t end = at + secret.size();
    bool whole = (at == 0 || !is_word_char(text[at - 1])) && (end == text.size() || !is_word_char(text[end]));
    if (whole_words_only && !whole) {
      at = text.find(secret, at + 1);
      continue;
    }
    text.replace(at, secret.size(), kMask);
    at = text.find(secret, at + kMask.size());
  }
}

}  // namespace schemagate
