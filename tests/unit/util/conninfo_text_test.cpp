// SPEC §6: a password never leaves schemagate, whether it came in a URL, a query parameter or a
// key=value conninfo string; and URLs libpq would misread are refused before they reach it.
#include "util/conninfo_text.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace schemagate {
namespace {

using Strings = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// passwords_in: URLs

TEST_CASE("a URL without a password carries none") {
  CHECK(passwords_in("postgresql://app@db.internal:5432/shop") == Strings{});
  CHECK(passwords_in("postgresql://db.internal/shop") == Strings{});
  CHECK(passwords_in("postgres://") == Strings{});
  CHECK(passwords_in("postgresql://app:@db/shop") == Strings{});
}

TEST_CASE("a URL's password is found in its user info") {
  CHECK(passwords_in("postgresql://app:s3cret@db.internal:5432/shop") == Strings{"s3cret"});
  CHECK(passwords_in("postgres://app:s3cret@db") == Strings{"s3cret"});
}

TEST_CASE("a percent-encoded password is found both as written and decoded") {
  CHECK(passwords_in("postgresql://app:p%40ss%3Aw%2Frd@db/shop") == Strings{"p%40ss%3Aw%2Frd", "p@ss:w/rd"});
}

TEST_CASE("a password may contain ':' and '?' unencoded") {
  CHECK(passwords_in("postgresql://app:pa:ss@db/shop") == Strings{"pa:ss"});
  CHECK(passwords_in("postgresql://app:pa?ss@db/shop") == Strings{"pa?ss"});
  CHECK(passwords_in("postgresql://app:pa?ss@db/shop?sslmode=require") == Strings{"pa?ss"});
}

TEST_CASE("password and sslpassword query parameters are found") {
  CHECK(passwords_in("postgresql://app@db/shop?password=s3cret") == Strings{"s3cret"});
  CHECK(passwords_in("postgresql://db?sslmode=require&password=s3cret&connect_timeout=5") ==
        Strings{"s3cret"});
  CHECK(passwords_in("postgresql://app@db/shop?sslpassword=keypass") == Strings{"keypass"});
  CHECK(passwords_in("postgresql://app@db/shop?password=a%26b") == Strings{"a%26b", "a&b"});
  // libpq decodes parameter names too.
  CHECK(passwords_in("postgresql://app@db/shop?pass%77ord=s3cret") == Strings{"s3cret"});
  CHECK(passwords_in("postgresql://app@db/shop?password=") == Strings{});
}

TEST_CASE("passwords in both the user info and the query are all found, each once") {
  CHECK(passwords_in("postgresql://app:one@db/shop?password=two&sslpassword=three") ==
        Strings{"one", "two", "three"});
  CHECK(passwords_in("postgresql://app:same@db/shop?password=same") == Strings{"same"});
}

TEST_CASE("a parameter that merely ends in password is not a password") {
  CHECK(passwords_in("postgresql://app@db/shop?application_name=password") == Strings{});
  CHECK(passwords_in("postgresql://app@db/shop?xpassword=x") == Strings{});
}

// ---------------------------------------------------------------------------------------------
// passwords_in: key=value conninfo

TEST_CASE("a conninfo password is found as a bare word") {
  CHECK(passwords_in("host=db user=app password=s3cret dbname=shop") == Strings{"s3cret"});
  CHECK(passwords_in("password=s3cret") == Strings{"s3cret"});
  CHECK(passwords_in("host=db  password = s3cret  dbname=shop") == Strings{"s3cret"});
  CHECK(passwords_in("host=db sslpassword=keypass") == Strings{"keypass"});
}

TEST_CASE("a single-quoted conninfo password is found quoted and unquoted") {
  CHECK(passwords_in("host=db password='two words' user=app") == Strings{"'two words'", "two words"});
  CHECK(passwords_in(R"(host=db password='it\'s \\ here' user=app)") ==
        Strings{R"('it\'s \\ here')", R"(it's \ here)"});
}

TEST_CASE("conninfo without a password carries none") {
  CHECK(passwords_in("host=db user=app dbname=shop") == Strings{});
  CHECK(passwords_in("host=db password=") == Strings{});
  CHECK(passwords_in("") == Strings{});
  CHECK(passwords_in("application_name=password=x") == Strings{});
}

TEST_CASE("a bare conninfo password may hold blanks escaped with a backslash, as libpq reads it") {
  CHECK(passwords_in(R"(password=ab\ cd)") == Strings{R"(ab\ cd)", "ab cd"});
  CHECK(passwords_in(R"(host=db password=two\ spaced\ words user=app)") ==
        Strings{R"(two\ spaced\ words)", "two spaced words"});
  CHECK(passwords_in("host=db password=tab\\\tsep user=app") == Strings{"tab\\\tsep", "tab\tsep"});
}

TEST_CASE("a backslash escapes any character of a bare conninfo password, itself included") {
  // `ab\\` is "ab\"; the blank after it ends the value.
  CHECK(passwords_in(R"(password=ab\\ host=db)") == Strings{R"(ab\\)", R"(ab\)"});
  CHECK(passwords_in(R"(password=it\'s host=db)") == Strings{R"(it\'s)", "it's"});
}

// ---------------------------------------------------------------------------------------------
// passwords_in: URLs libpq would misread (url_problem refuses them, but nothing may print them)

TEST_CASE("a URL password with an unescaped '@' is found whole, up to the last '@'") {
  CHECK(passwords_in("postgresql://u:p@ss@h/db") == Strings{"p", "p@ss"});
  CHECK(passwords_in("postgresql://app:hunter@2024@db:5432/shop?sslmode=require") ==
        Strings{"hunter", "hunter@2024"});
}

TEST_CASE("a URL password with an unescaped '/' is found whole") {
  CHECK(passwords_in("postgresql://u:pa/ss@h/db") == Strings{"pa/ss"});
  CHECK(passwords_in("postgresql://app:hun/ter2@db/shop?password=two") == Strings{"hun/ter2", "two"});
}

TEST_CASE("an '@' in the query does not make a password of the host") {
  CHECK(passwords_in("postgresql://app@db:5432/shop?application_name=a@b") == Strings{});
  CHECK(passwords_in("postgresql://app:pw@db/shop?application_name=a@b") == Strings{"pw"});
}

TEST_CASE("a URL password with an unescaped '/' and '?' is found up to the last '@', the query's included") {
  // libpq sees no user info here (a '/' comes before any '@'): it would read `app:Head` as host
  // and port and the rest as a query.
  CHECK(passwords_in("postgresql://app:Head/?port=Tail@db/app") == Strings{"Head/?port=Tail"});
  CHECK(passwords_in("postgresql://app:xx/?Head=y@db/app") == Strings{"xx/?Head=y"});
  CHECK(passwords_in("postgresql://app:p@ss?x@db/app") == Strings{"p", "p@ss?x"});
}

// ---------------------------------------------------------------------------------------------
// mask_passwords

TEST_CASE("mask_passwords replaces each password and keeps the rest") {
  CHECK(mask_passwords("postgresql://app:s3cret@db:5432/shop") == "postgresql://app:****@db:5432/shop");
  CHECK(mask_passwords("postgresql://app:p%40ss@db/shop") == "postgresql://app:****@db/shop");
  CHECK(mask_passwords("postgresql://app:pa?ss@db/shop?sslmode=require&sslpassword=k%65y") ==
        "postgresql://app:****@db/shop?sslmode=require&sslpassword=****");
  CHECK(mask_passwords("postgresql://app@db/shop?password=s3cret&application_name=web") ==
        "postgresql://app@db/shop?password=****&application_name=web");
  CHECK(mask_passwords("host=db password=s3cret user=app") == "host=db password=**** user=app");
  CHECK(mask_passwords(R"(host=db password='it\'s here' user=app)") == "host=db password=**** user=app");
}

TEST_CASE("mask_passwords masks a bare conninfo password with escaped blanks as one value") {
  CHECK(mask_passwords(R"(password=ab\ cd)") == "password=****");
  CHECK(mask_passwords(R"(host=db password=ab\ cd user=app)") == "host=db password=**** user=app");
  CHECK(mask_passwords(R"(host=db password=ab\\ user=app)") == "host=db password=**** user=app");
}

TEST_CASE("mask_passwords masks the whole password of a URL libpq would misread, once") {
  CHECK(mask_passwords("postgresql://u:pa/ss@h/db") == "postgresql://u:****@h/db");
  CHECK(mask_passwords("postgresql://u:pa/ss@h/db?sslmode=require&password=x") ==
        "postgresql://u:****@h/db?sslmode=require&password=****");
}

TEST_CASE("mask_passwords masks a URL password with an unescaped '@' as one password") {
  CHECK(mask_passwords("postgresql://u:p@ss@h/db") == "postgresql://u:****@h/db");
  CHECK(mask_passwords("postgresql://app:hunter@2024@db/shop") == "postgresql://app:****@db/shop");
}

TEST_CASE("mask_passwords masks a URL with an '@' after a '?' from the scheme to its last '@'") {
  CHECK(mask_passwords("postgresql://app:Head/?port=Tail@db/app") == "postgresql://****@db/app");
  CHECK(mask_passwords("postgresql://app:Head/?sslmode=x@db/app") == "postgresql://****@db/app");
  CHECK(mask_passwords("postgres://app:xx/?Head=y@db/app") == "postgres://****@db/app");
  CHECK(mask_passwords("postgresql://app:pw@db/shop?application_name=a@b") == "postgresql://****@b");
  CHECK(mask_passwords("postgresql://app:Head/?x=y@db/app?sslmode=require&password=two") ==
        "postgresql://****@db/app?sslmode=require&password=****");
}

TEST_CASE("mask_passwords masks an unescaped '@' and '?' in a password up to the last '@'") {
  CHECK(mask_passwords("postgresql://app:p@ss?x@db/app") == "postgresql://app:****@db/app");
  // A '?' before the '/' (fuzz/corpus/masking/url_password_question_then_slash).
  CHECK(mask_passwords("postgresql://app:a?b/c@db/app?sslmode=require") ==
        "postgresql://app:****@db/app?sslmode=require");
}

TEST_CASE("mask_passwords leaves a string without a password as it is") {
  for (std::string_view s : {"postgresql://app@db:5432/shop", "postgresql://app:@db/shop", "host=db user=app",
                             "", "postgresql:///shop?host=/var/run/postgresql"}) {
    CAPTURE(s);
    CHECK(mask_passwords(s) == s);
  }
}

TEST_CASE("mask_passwords never leaves a password in its output") {
  struct Case {
    std::string conninfo;
    std::string password;
  };
  const std::vector<Case> cases = {
      {"postgresql://app:hunter2@db/shop", "hunter2"},
      {"postgres://app:hunter2@db", "hunter2"},
      {"postgresql://app:hun%3Fter2@db/shop", "hun?ter2"},
      {"postgresql://app:hun%3Fter2@db/shop", "hun%3Fter2"},
      {"postgresql://app:hun?ter2@db/shop?sslmode=require", "hun?ter2"},
      {"postgresql://app:hun:ter2@db/shop", "hun:ter2"},
      {"postgresql://app@db/shop?password=hunter2", "hunter2"},
      {"postgresql://app@db/shop?sslmode=require&password=hunter2", "hunter2"},
      {"postgresql://app@db/shop?sslpassword=hunter2", "hunter2"},
      {"host=db password=hunter2", "hunter2"},
      {"host=db password= hunter2", "hunter2"},
      {"password='hunter 2' host=db", "hunter 2"},
      {R"(password='hun\'ter2' host=db)", "hun'ter2"},
      {"host=db sslpassword=hunter2 password=hunter3", "hunter2"},
      {"host=db sslpassword=hunter2 password=hunter3", "hunter3"},
      {R"(host=db password=hun\ ter2 user=app)", "ter2"},
      {R"(password=hunter\ 2)", "hunter 2"},
      {"postgresql://app:hun@ter2@db/shop", "hun@ter2"},
      {"postgresql://app:hun@ter2@db/shop", "ter2"},
      {"postgresql://app:hun/ter2@db/shop", "hun/ter2"},
      {"postgresql://app:hun/ter2@db/shop", "ter2"},
      {"postgresql://app:hun/ter@2@db/shop?sslmode=require", "ter@2"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.conninfo);
    std::string masked = mask_passwords(c.conninfo);
    CHECK(masked.find(c.password) == std::string::npos);
    CHECK(masked.find("****") != std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// url_problem

TEST_CASE("url_problem accepts URLs libpq reads as written") {
  for (std::string_view url :
       {"postgresql://app:s3cret@db:5432/shop", "postgresql://app:p%40ss%2Fw@db/shop",
        "postgresql://app:pa?ss@db/shop", "postgresql://db/shop?application_name=a@b",
        "postgresql:///shop?host=/var/run/postgresql", "postgresql://db", "postgres://app@db/shop"}) {
    CAPTURE(url);
    CHECK(url_problem(url) == "");
  }
}

TEST_CASE("url_problem has nothing to say about key=value conninfo") {
  CHECK(url_problem("host=db user=app password=p@ss@w/rd") == "");
  CHECK(url_problem("") == "");
}

TEST_CASE("url_problem refuses an unescaped '@' in the user info") {
  CHECK(url_problem("postgresql://app:p@ss@db/shop") ==
        "more than one '@' before the host: percent-encode '@' in the user or password as %40");
  CHECK(url_problem("postgres://a@b@db") ==
        "more than one '@' before the host: percent-encode '@' in the user or password as %40");
}

TEST_CASE("url_problem refuses an unescaped '/' in the password") {
  CHECK(url_problem("postgresql://app:pa/ss@db/shop") ==
        "'@' after a '/': percent-encode '/' in the user or password as %2F");
  CHECK(url_problem("postgresql://app:pa/ss@db/shop?sslmode=require") ==
        "'@' after a '/': percent-encode '/' in the user or password as %2F");
}

TEST_CASE("url_problem refuses an '@' after a '?' when a password may run up to it") {
  for (std::string_view url :
       {"postgresql://app:Head/?port=Tail@db/app", "postgresql://app:Head/?sslmode=x@db/app",
        "postgresql://app:xx/?Head=y@db/app", "postgresql://app:pw@db/shop?application_name=a@b",
        "postgresql://db:5432/shop?user=me@corp", "postgres://app@db:5432/shop?application_name=a@b"}) {
    CAPTURE(url);
    CHECK(url_problem(url) ==
          "'@' after a '?': percent-encode '?' and '/' in the user or password as %3F and %2F, and '@' in "
          "the query as %40");
  }
}

TEST_CASE("url_problem accepts an '@' after a '?' when no ':' before it can start a password") {
  CHECK(url_problem("postgresql://app@db/shop?application_name=a@b") == "");
  CHECK(url_problem("postgresql:///shop?host=/var/run/postgresql&application_name=a@b") == "");
}

TEST_CASE("url_problem never repeats the URL") {
  for (std::string_view url : {"postgresql://app:hunter2@x@db/shop", "postgresql://app:hun/ter2@db/shop"}) {
    CAPTURE(url);
    std::string problem = url_problem(url);
    CHECK(problem != "");
    CHECK(problem.find("hunter2") == std::string::npos);
    CHECK(problem.find("ter2") == std::string::npos);
    CHECK(problem.find("db/shop") == std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// is_url, percent_decode

TEST_CASE("is_url knows libpq's two URL schemes") {
  CHECK(is_url("postgresql://db"));
  CHECK(is_url("postgres://db"));
  CHECK_FALSE(is_url("host=db"));
  CHECK_FALSE(is_url("mysql://db"));
  CHECK_FALSE(is_url("postgresql:db"));
  CHECK_FALSE(is_url(""));
}

TEST_CASE("percent_decode decodes %XX in either case and leaves anything else alone") {
  CHECK(percent_decode("p%40ss%3aw%2Frd") == "p@ss:w/rd");
  CHECK(percent_decode("%41%62%63") == "Abc");
  CHECK(percent_decode("plain") == "plain");
  CHECK(percent_decode("") == "");
  CHECK(percent_decode("100%") == "100%");
  CHECK(percent_decode("a%4") == "a%4");
  CHECK(percent_decode("%zz%4g") == "%zz%4g");
  CHECK(percent_decode("%25") == "%");
  CHECK(percent_decode("%2541") == "%41");
  CHECK(percent_decode("a+b") == "a+b");
}

}  // namespace
}  // namespace schemagate
