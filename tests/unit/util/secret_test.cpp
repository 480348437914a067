#include "util/secret.h"

#include <doctest/doctest.h>

#include <string>

namespace schemagate {
namespace {

std::string masked(std::string text, std::string_view secret) {
  mask_secret(text, secret);
  return text;
}

TEST_CASE("mask_secret replaces every occurrence of a secret of four or more characters") {
  CHECK(masked("pw=hunter2 and hunter2x", "hunter2") == "pw=**** and ****x");
}

TEST_CASE("mask_secret replaces a short secret only where it stands as a whole word") {
  CHECK(masked("connection on port \"on\"", "on") == "connection **** port \"****\"");
  CHECK(masked("p p-q accepting", "p") == "**** ****-q accepting");
}

TEST_CASE("mask_secret leaves text without the secret alone") {
  CHECK(masked("nothing here", "secret") == "nothing here");
  CHECK(masked("", "x") == "");
}

}  // namespace
}  // namespace schemagate
