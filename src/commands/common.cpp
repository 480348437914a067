#include "commands/commands.h"
#include "log/log.h"
#include "wait/wait.h"

namespace schemagate::commands {

Result<db::Target> target_of(const config::Settings& settings) {
  auto target = db::Target::parse(settings.database_url);
  if (!target) {
    Error e = target.error();
    e.message = "database.url (" + settings.source_of("database.url").describe() + "): " + e.message;
    return e;
  }
  for (const auto& secret : target->secrets) log::add_secret(secret);
  const config::Source& source = settings.source_of("database.url");
  target->secret_file = source.detail;
  target->secret_variable = source.detail.empty() ? "" : source.where;
  return target;
}

Result<std::optional<db::Target>> migrations_target_of(const config::Settings& settings) {
  if (settings.migrations_database_url.empty()) return std::optional<db::Target>{};
  auto target = db::Target::parse(settings.migrations_database_url);
  if (!target) {
    Error e = target.error();
    e.message = "migrations.database_url (" + settings.source_of("migrations.database_url").describe() + "): " +
                e.message;
    return e;
  }
  for (const auto& secret : target->secrets) log::add_secret(secret);
  const config::Source& source = settings.source_of("migrations.database_url");
  target->secret_file = source.detail;
  target->secret_variable = source.detail.empty() ? "" : source.where;
  return std::optional<db::Target>{std::move(*target)};
}

Result<db::Connection> wait_until_ready(const Context& ctx, const db::Target& target) {
  wait::Policy policy;
  policy.attempts = ctx.settings.max_retries;
  policy.interval = ctx.settings.retry_interval;
  return wait::until_ready(target, policy, ctx.gate.interrupt());
}

Result<db::Connection> connect(const Context& ctx) {
  auto target = target_of(ctx.settings);
  if (!target) return target.error();
  return wait_until_ready(ctx, *target);
}

}  // namespace schemagate::commands
