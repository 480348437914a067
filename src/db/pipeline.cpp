// Connection::pipeline: libpq's pipeline mode, and COPY ... FROM STDIN between two of its stretches.
#include <libpq-fe.h>

#include <algorithm>
#include <string>

#include "db/connection.h"

namespace schemagate::db {

namespace {
// Statement text sent and not yet answered, at most (one statement may exceed it alone).
constexpr size_t kInFlight = 4 << 20;
}  // namespace

Status Connection::pipeline(std::span<const Step> steps, const OnStep& on_step, const Interrupt& stop,
                            Deadline deadline) {
  if (!conn_) return unreachable("connection is closed");
  if (steps.empty()) return {};

  class Pipeline final : public Exchange {
   public:
    Pipeline(std::span<const Step> steps, const OnStep& on_step) : steps_(steps), on_step_(on_step) {}

    bool send(Connection& conn, bool halted) override {
      pg_conn* c = conn.conn_.get();
      if (feeding_ && halted) {  // a stop while COPY rows are on their way: the server ends the COPY
        feeding_ = false;
        return PQputCopyEnd(c, "stopped by schemagate") >= 0;
      }
      if (feeding_) return feed(c);
      if (halted) {
        // The server reports on what it skipped only at a sync: one more, unless the last step
        // sent was one or the session is out of pipeline mode for a COPY.
        if (!synced_after_halt_ && sent_ > 0 && in_pipeline_ && steps_[sent_ - 1].kind != Step::Kind::sync) {
          if (!PQpipelineSync(c)) return false;
          ++extra_syncs_;
        }
        synced_after_halt_ = true;
        return true;
      }
      // Out of pipeline mode for a COPY: nothing more until its answer is in and the mode is back.
      if (!in_pipeline_) return true;
      while (sent_ < steps_.size()) {
        const Step& s = steps_[sent_];
        // libpq keeps a copy of every statement sent until its answer is read: a 50 MB data
        // migration sent ahead whole would be held twice. Past kInFlight, wait for answers.
        // The server holds its answers until a sync or a flush request: ask for them.
        if (in_flight_ > kInFlight && answered_ < sent_) {
          if (!flush_requested_) {
            if (!PQsendFlushRequest(c)) return false;
            flush_requested_ = true;
          }
          return true;
        }
        flush_requested_ = false;
        if (s.kind == Step::Kind::copy_in) {
          if (answered_ < sent_) return true;  // COPY leaves pipeline mode: only once all before it is answered
          if (!PQexitPipelineMode(c)) return false;
          in_pipeline_ = false;
          if (!PQsendQuery(c, std::string(s.sql).c_str())) return false;
          ++sent_;
          return true;
        }
        bool queued = s.kind == Step::Kind::sync
                          ? PQpipelineSync(c) == 1
                          : PQsendQueryParams(c, std::string(s.sql).c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
        if (!queued) return false;
        in_flight_ += s.sql.size();
        ++sent_;
        if (PQflush(c) != 0) return true;  // the socket is full: go on once it drains
      }
      return true;
    }

    bool wants_to_send() const override { return feeding_; }
    bool awaiting() const override { return !feeding_ && (answered_ < sent_ || extra_syncs_ > 0); }

    bool take(Rows& result, const std::optional<Error>& first_error) override {
      if (answered_ == sent_) {  // a sync sent after a failure
        --extra_syncs_;
        return done(first_error);
      }
      const Step& step = steps_[answered_];
      if (step.kind == Step::Kind::sync || !result.res_) {
        ++answered_;  // a sync's answer, or the end of a statement's results
        in_flight_ -= std::min(in_flight_, step.sql.size());
        if (step.kind == Step::Kind::copy_in && !first_error) in_pipeline_ = PQenterPipelineMode(conn_) == 1;
        return done(first_error);
      }
      ExecStatusType st = PQresultStatus(result.res_.get());
      if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
        if (!reported_ && first_error) on_step_(step, *first_error);
        reported_ = true;
      } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        if (!reported_) on_step_(step, std::move(result));
      }
      return false;
    }

    bool feeds_copy() const override { return sent_ > 0 && steps_[sent_ - 1].kind == Step::Kind::copy_in; }
    bool feed_copy(Connection& conn) override {
      feeding_ = true;
      fed_ = 0;
      return feed(conn.conn_.get());
    }

    pg_conn* conn_ = nullptr;
    bool in_pipeline_ = true;

   private:
    // Sends the COPY's rows as far as the socket takes them, then its end.
    bool feed(pg_conn* c) {
      std::string_view data = steps_[sent_ - 1].data;
      while (fed_ < data.size()) {
        size_t chunk = std::min<size_t>(data.size() - fed_, 64 << 10);
        int put = PQputCopyData(c, data.data() + fed_, static_cast<int>(chunk));
        if (put < 0) return false;
        if (put == 0) return true;  // the buffer is full: go on once the socket drains
        fed_ += chunk;
      }
      int ended = PQputCopyEnd(c, nullptr);
      if (ended < 0) return false;
      feeding_ = ended == 0;
      return true;
    }

    bool done(const std::optional<Error>& first_error) const {
      if (extra_syncs_ > 0) return false;
      return answered_ == sent_ && (sent_ == steps_.size() || first_error.has_value());
    }

    std::span<const Step> steps_;
    const OnStep& on_step_;
    size_t sent_ = 0, answered_ = 0, fed_ = 0, in_flight_ = 0;
    int extra_syncs_ = 0;
    bool synced_after_halt_ = false, feeding_ = false, reported_ = false, flush_requested_ = false;
  };

  pg_conn* c = conn_.get();
  if (!PQenterPipelineMode(c)) return failure("could not enter pipeline mode");
  Pipeline p(steps, on_step);
  p.conn_ = c;
  auto ran = collect(stop, deadline, nullptr, &p);
  if (conn_ && p.in_pipeline_) (void)PQexitPipelineMode(conn_.get());
  if (!ran) return ran.error();
  return {};
}

}  // namespace schemagate::db
