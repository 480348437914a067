// A real PgBouncer (Debian's pgbouncer 1.18) in front of a test cluster, on a free port of
// 127.0.0.1, in transaction or session pooling mode: what many deployments can only reach their
// database through. Stopped in the destructor. Not thread-safe.
#pragma once

#include <optional>
#include <string>

#include "support/pg_cluster.h"
#include "support/process.h"

namespace schemagate::testing {

class PgBouncer {
 public:
  enum class Mode { transaction, session };

  // Serves every database of `cluster` to `user` (created on the cluster with `password`, SCRAM
  // both ways) with at most `pool_size` server connections per database. Started on return;
  // throws std::runtime_error with PgBouncer's output when it cannot start.
  PgBouncer(PgCluster& cluster, Mode mode, const std::string& user = "pooled", const std::string& password = "pooled-pw",
            int pool_size = 4);
  ~PgBouncer();
  PgBouncer(const PgBouncer&) = delete;
  PgBouncer& operator=(const PgBouncer&) = delete;

  int port() const { return port_; }
  // postgresql://user:password@127.0.0.1:port/db through the pooler.
  std::string url(const std::string& db) const;
  // Its log so far, for a failing test to print.
  std::string log() const;

 private:
  std::string dir_;
  std::string user_, password_;
  int port_ = 0;
  std::optional<Child> process_;
};

}  // namespace schemagate::testing
