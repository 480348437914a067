#include "util/secret.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

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

TEST_CASE("mask_secret finds a secret percent-encoded with either case of hex digits") {
  CHECK(masked("url a%2fb%40c%c3%a9 end", "a/b@c\u00e9") == "url **** end");
  CHECK(masked("url a%2Fb%40c%C3%A9 end", "a/b@c\u00e9") == "url **** end");
  CHECK(masked("form two+words", "two words") == "form ****");
}

TEST_CASE("mask_secret finds a secret escaped as JSON writes it") {
  const std::string secret = "q\"u\\o/t\u00e9";  // q"u\o/té
  CHECK(masked(R"({"password":"q\"u\\o/t\u00e9"})", secret) == R"({"password":"****"})");
  CHECK(masked(R"({"password":"q\"u\\o\/t\u00e9"})", secret) == R"({"password":"****"})");
  CHECK(masked(R"({"password":"q\u0022u\u005co\/t\u00E9"})", secret) == R"({"password":"****"})");
  CHECK(masked(R"(pw q\"u\\o/t\u00e9)", secret) == "pw ****");
  CHECK(masked("emoji \\ud83d\\ude00!", "\U0001F600!") == "emoji ****");
}

TEST_CASE("mask_secret leaves text that only resembles an encoded secret alone") {
  CHECK(masked("a%2gb a%2 a/", "a/b") == "a%2gb a%2 a/");
  // "%25Kqz9" is the secret percent-encoded: masked too.
  CHECK(masked("%25Kqz9 and %Kqz9 and %Kqz", "%Kqz9") == "**** and **** and %Kqz");
}

TEST_CASE("scrub_secrets masks a short secret only where it stands as a value") {
  const std::vector<std::string> x = {"x"};
  CHECK(scrub_secrets("postgres@127.0.0.1:1/x not ready", x) == "postgres@127.0.0.1:1/x not ready");
  CHECK(scrub_secrets("x marks the spot, x-ray", x) == "x marks the spot, x-ray");
  CHECK(scrub_secrets("invalid value \"x\" and 'x'", x) == "invalid value \"****\" and '****'");
  CHECK(scrub_secrets("password=x host=db", x) == "password=**** host=db");
  CHECK(scrub_secrets("?password=x&sslmode=require", x) == "?password=****&sslmode=require");
  CHECK(scrub_secrets("postgresql://u:x@h/x", x) == "postgresql://u:****@h/x");
  CHECK(scrub_secrets("password: x", x) == "password: ****");
  CHECK(scrub_secrets(R"({\"password\":\"x\"})", x) == R"({\"password\":\"****\"})");
  CHECK(scrub_secrets("x", x) == "****");
  CHECK(scrub_secrets("connection on port 5432", {"on"}) == "connection on port 5432");
}

TEST_CASE("scrub_secrets masks a secret of four or more characters wherever it appears, longest first") {
  CHECK(scrub_secrets("pw=hunter2 and hunter2x, hunt", {"hunt", "hunter2"}) == "pw=**** and ****x, ****");
  CHECK(scrub_secrets("nothing here", {"secret"}) == "nothing here");
  CHECK(scrub_secrets("", {"x"}) == "");
}

}  // namespace
}  // namespace schemagate
