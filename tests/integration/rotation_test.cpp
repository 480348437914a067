// Secrets rotated while schemagate waits (Kubernetes rewrites a mounted Secret by an atomic
// rename; a sidecar refreshes a cloud IAM token in a file): DATABASE_URL_FILE is read afresh
// before every connect attempt, a rejected password gets one more attempt when the file changed
// meanwhile, and a file met empty mid-rotation is a failed attempt, not a settings error.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "support/gate.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "support/process.h"
#include "support/tcp_proxy.h"

namespace schemagate::testing {
namespace {

using namespace std::chrono_literals;

TEST_SUITE_BEGIN("secrets");

std::string url_with(int port, const std::string& password) {
  return "postgresql://rotated:" + password + "@127.0.0.1:" + std::to_string(port) + "/postgres\n";
}

// As Kubernetes updates a mounted Secret: the new file written aside, then renamed over the old.
void rotate(const TempDir& dir, const std::string& text) {
  dir.write("url.next", text);
  REQUIRE(std::rename(dir.file("url.next").c_str(), dir.file("url").c_str()) == 0);
}

RunOptions waiting(const TempDir& dir) {
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL_FILE", dir.file("url")}, {"DB_MAX_RETRIES", "200"}, {"DB_RETRY_INTERVAL", "0.1"}};
  return options;
}

void check_no_password(const RunResult& result) {
  for (const char* secret : {"old-secret-1", "new-secret-2"}) {
    CHECK_FALSE(contains(result.out, secret));
    CHECK_FALSE(contains(result.err, secret));
  }
}

TEST_CASE("a secret file rotated by an atomic rename while schemagate waits: the next attempt uses the new one") {
  PgCluster cluster;
  cluster.create_role("rotated", "new-secret-2");
  cluster.psql("postgres", "checkpoint");  // the test cluster commits asynchronously; stop() is a crash
  cluster.stop();
  TempDir dir("rotation");
  dir.write("url", url_with(cluster.port(), "old-secret-1"));  // rejected, were it tried
  Child child = spawn(schemagate({"wait"}), waiting(dir));
  REQUIRE(child.wait_for_stderr("attempt 1/200 failed", 20s));
  rotate(dir, url_with(cluster.port(), "new-secret-2"));
  REQUIRE(child.wait_for_stderr("DATABASE_URL_FILE (" + dir.file("url") +
                                    ") has changed; connecting with its new contents",
                                20s));
  cluster.start();
  RunResult result = child.finish();
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  CHECK(contains(result.err, " INFO  database ready db=rotated@127.0.0.1:"));
  check_no_password(result);
}

TEST_CASE("a password rejected while its file was being rotated gets one more attempt, with the new one") {
  PgCluster cluster;
  cluster.create_role("rotated", "new-secret-2");
  TcpProxy proxy(cluster.port());
  proxy.slow(600ms);  // the answer to the old password is still on its way when the file changes
  TempDir dir("rotation");
  dir.write("url", url_with(proxy.port(), "old-secret-1"));
  Child child = spawn(schemagate({"wait"}), waiting(dir));
  REQUIRE(wait_until([&] { return proxy.accepted() >= 1; }, 20s));
  rotate(dir, url_with(proxy.port(), "new-secret-2"));
  RunResult result = child.finish();
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  CHECK(contains(result.err, "attempt 1/200 failed: "));
  CHECK(contains(result.err, "; the secret has changed since, trying the new one"));
  CHECK(contains(result.err, " INFO  database ready db=rotated@127.0.0.1:"));
  check_no_password(result);

  // Not changed: a rejected password still ends the wait at once.
  TempDir stale("rotation");
  stale.write("url", url_with(cluster.port(), "old-secret-1"));
  RunResult refused = run(schemagate({"wait"}), waiting(stale));
  CHECK(refused.exit_code == 69);
  CHECK(contains(refused.err, "refused the credentials (attempt 1/200, not retried)"));
}

TEST_CASE("a secret file met empty mid-rotation is a failed attempt, and the wait goes on") {
  PgCluster cluster;
  cluster.create_role("rotated", "new-secret-2");
  cluster.psql("postgres", "checkpoint");  // the test cluster commits asynchronously; stop() is a crash
  cluster.stop();
  TempDir dir("rotation");
  dir.write("url", url_with(cluster.port(), "new-secret-2"));
  Child child = spawn(schemagate({"wait"}), waiting(dir));
  REQUIRE(child.wait_for_stderr("attempt 1/200 failed", 20s));
  dir.write("url", "");
  REQUIRE(child.wait_for_stderr("DATABASE_URL_FILE (" + dir.file("url") + ") is empty (being rotated?)", 20s));
  rotate(dir, url_with(cluster.port(), "new-secret-2"));
  cluster.start();
  RunResult result = child.finish();
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  check_no_password(result);
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
