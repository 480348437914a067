// A password that must never be printed (SPEC §6), and every spelling of it a leak could take:
// raw, percent-encoded either way, and each run of ordinary characters between its special ones.
// Every PgCluster's superuser password carries the canary and every run() checks its output for it
// (support/process.h), so each suite that connects is also a secrets test.
#pragma once

#include <cctype>
#include <string>
#include <vector>

#include "support/text.h"

namespace schemagate::testing {

// Every URL-special character a password can hold: '#', '/', '@', ':' and '%'.
inline const std::string kCanaryPassword = "Canary#7Qx4/Zeph@pLum:wHiz%Kqz9";
// The superuser password of every PgCluster: the canary, and a suffix so that it is not the
// password of a role created with kCanaryPassword (the secrets suite expects postgres with
// kCanaryPassword to be refused).
inline const std::string kSuperuserCanaryPassword = kCanaryPassword + "-superuser";
// Every character that needs quoting or escaping in conninfo, JSON or a shell: '"', '\'', '\\', '
// '.
inline const std::string kQuotingCanaryPassword = "Canary\"7Qx4'Zeph\\pLum wHiz";

// The runs between the special characters of both passwords, listed by hand so a change to a
// password that leaves a fragment unchecked is visible in review.
inline const std::vector<std::string> kCanaryFragments = {"Canary", "7Qx4", "Zeph",
                                                          "pLum",   "wHiz", "Kqz9"};

// Every spelling of either canary that a leak could take: raw, percent-encoded (either case of
// hex), escaped as in JSON or conninfo, and the fragments.
inline std::vector<std::string> canary_spellings() {
  std::vector<std::string> spellings;
  for (const std::string& password : {kCanaryPassword, kQuotingCanaryPassword}) {
    spellings.push_back(password);
    std::string encoded = percent_encode(password);
    spellings.push_back(encoded);
    for (char& c : encoded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    spellings.push_back(encoded);
  }
  spellings.insert(spellings.end(), kCanaryFragments.begin(), kCanaryFragments.end());
  return spellings;
}

// The spellings of a canary found in `text`; empty when none leaked.
inline std::vector<std::string> canary_leaks(const std::string& text) {
  std::vector<std::string> found;
  for (const auto& spelling : canary_spellings())
    if (text.find(spelling) != std::string::npos) found.push_back(spelling);
  return found;
}

}  // namespace schemagate::testing
