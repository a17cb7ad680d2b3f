#include "coordinator/store/migrations.hpp"

#include <stdexcept>
#include <string>

#include "coordinator/config.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/store/database.hpp"
#include "coordinator/store/store_error.hpp"

namespace dbg::coord::store {

namespace {

void check_sequence(std::span<const Migration> migrations) {
  int expected = 1;
  for (const auto& m : migrations) {
    if (m.version != expected) {
      throw std::invalid_argument("migration " + std::string(m.name) + " has version " + std::to_string(m.version) +
                                  ", expected " + std::to_string(expected));
    }
    ++expected;
  }
}

[[noreturn]] void refuse_newer(const Database& db, int found, int known) {
  throw SchemaTooNewError("database " + db.path().string() + " has schema version " + std::to_string(found) +
                              ", newer than the newest this dbgcoord " + std::string(version()) + " knows (" +
                              std::to_string(known) + "); refusing to use it: run a newer dbgcoord or " +
                              "choose another --data-dir",
                          found, known);
}

}  // namespace

MigrationOutcome migrate(Database& db, std::span<const Migration> migrations) {
  check_sequence(migrations);
  const int latest = static_cast<int>(migrations.size());
  const int initial = db.user_version();
  if (initial > latest) refuse_newer(db, initial, latest);

  int current = initial;
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    Transaction transaction(db);
    // Read again under the write lock: another dbgcoord on the same file may have migrated
    // between our first read and BEGIN IMMEDIATE.
    int now = db.user_version();
    if (now > latest) refuse_newer(db, now, latest);
    if (now >= m.version) {
      transaction.commit();
      current = now;
      continue;
    }
    try {
      db.exec(m.sql);
    } catch (const StoreError& e) {
      throw StoreError("migration " + std::to_string(m.version) + " (" + std::string(m.name) + ") failed, database left at version " +
                       std::to_string(now) + ": " + e.what());
    }
    // PRAGMA takes no bound parameters; the value is our own integer.
    db.exec("PRAGMA user_version = " + std::to_string(m.version));
    transaction.commit();
    current = m.version;
    DBG_LOG_INFO("database {}: applied migration {:04d}_{}", db.path().string(), m.version, m.name);
  }
  return {initial, current};
}

}  // namespace dbg::coord::store
