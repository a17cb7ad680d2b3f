#include "coordinator/errors/group_reads.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>

#include "coordinator/errors/group_cache.hpp"
#include "coordinator/errors/group_publisher.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::errors {

namespace {

// Reads groups as the API shows them; `unfolded` (when not null) is added to the rows read.
using GroupReader = std::function<std::optional<nlohmann::json>(
    store::StatementCache&, const std::unordered_map<int64_t, UnfoldedEvents>* unfolded)>;

// Flush, then read, in one write; if that write fails, read without writing (see the header).
void read_groups(store::Store& store, std::shared_ptr<GroupCache> cache, const char* what, GroupReader read,
                 std::string not_found, GroupReads::Done done) {
  auto out = std::make_shared<std::optional<nlohmann::json>>();
  store.write(
      [cache, read, out](store::StatementCache& sql) {
        cache->flush_or_drop(sql);
        *out = read(sql, nullptr);
      },
      [store = &store, cache, what, read, out, not_found = std::move(not_found), done = std::move(done)](Result<void> committed) mutable {
        if (committed) {
          if (!*out) return done(Error{"not_found", not_found});
          return done(std::move(**out));
        }
        cache->drop();
        spdlog::warn("errors: {}: writing the group rows failed ({}); reading without writing", what,
                     committed.error().message);
        store->read([what, read = std::move(read), not_found = std::move(not_found),
                     done = std::move(done)](store::StatementCache& sql) {
          std::optional<nlohmann::json> group;
          try {
            const auto unfolded = select_unfolded_events(sql);
            group = read(sql, &unfolded);
          } catch (const std::exception& e) {
            spdlog::error("errors: {}: {}", what, e.what());
            return done(Error{"storage_error", "the error groups could not be read; see the server log"});
          }
          if (!group) return done(Error{"not_found", not_found});
          done(std::move(*group));
        });
      });
}

std::string no_group(int64_t id) { return "no error group " + std::to_string(id); }

}  // namespace

void GroupReads::list(GroupFilter filter, Done done) {
  read_groups(
      store_, cache_, "listing groups",
      [filter = std::move(filter)](store::StatementCache& sql, const std::unordered_map<int64_t, UnfoldedEvents>* unfolded) {
        auto out = select_groups(sql, filter);
        if (unfolded && !unfolded->empty()) {
          auto& groups = out.at("groups");
          for (auto& g : groups) add_unfolded(g, *unfolded);
          std::stable_sort(groups.begin(), groups.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
            return a.value("last_seen", int64_t{0}) > b.value("last_seen", int64_t{0});
          });
        }
        return std::optional(std::move(out));
      },
      {}, std::move(done));
}

void GroupReads::get(int64_t id, int latest_events, Done done) {
  read_groups(
      store_, cache_, "reading a group",
      [id, latest_events](store::StatementCache& sql, const std::unordered_map<int64_t, UnfoldedEvents>* unfolded) {
        auto group = select_group(sql, id);
        if (group && unfolded) add_unfolded(*group, *unfolded);
        if (group) (*group)["events"] = select_events(sql, id, latest_events);
        return group;
      },
      no_group(id), std::move(done));
}

void GroupReads::set_status(int64_t id, GroupStatus status, Done done) {
  struct Change {
    std::optional<std::string> signature;
    std::optional<nlohmann::json> group;
  };
  auto change = std::make_shared<Change>();
  const int64_t now = unix_time_ms();
  store_.write(
      [cache = cache_, change, id, status, now](store::StatementCache& sql) {
        cache->flush_or_drop(sql);  // the answer shows exact counts
        change->signature = update_group_status(sql, id, status, now);
        if (!change->signature) return;
        change->group = select_group(sql, id);
        // Last, after every statement: the cached counts follow the new status.
        if (CachedGroup* cached = cache->find(*change->signature)) {
          if (cached->counts.status != status) cached->counts.status_changed_at = now;
          cached->counts.status = status;
        }
      },
      [cache = cache_, publisher = publisher_, change, id, done = std::move(done)](Result<void> committed) {
        if (!committed) {
          cache->drop();
          return done(committed.error());
        }
        if (!change->signature || !change->group) return done(Error{"not_found", no_group(id)});
        publisher->publish_status(id, change->group->at("status"));
        done(std::move(*change->group));
      });
}

}  // namespace dbg::coord::errors
