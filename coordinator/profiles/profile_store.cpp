#include "coordinator/profiles/profile_store.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "coordinator/profiles/zlib_codec.hpp"
#include "coordinator/store/statement.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/clock.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::profiles {

namespace {

// A stored body never decompresses beyond this: the worker's answer line is bounded by 64 MiB.
constexpr size_t kMaxBodyBytes = 256u << 20;

}  // namespace

nlohmann::json profile_summary(const Profile& p) {
  nlohmann::json j = p;
  for (const char* table : {"modules", "frames", "locations", "stacks", "counts"}) j.erase(table);
  return j;
}

void save_profile(store::Store& store, std::string session_id, const Profile& profile,
                  std::function<void(Result<int64_t>)> done) {
  // Serialized and compressed here, on the caller's thread, not on the store's.
  std::string json = protocol::dump(nlohmann::json(profile));
  auto row = std::make_shared<std::tuple<std::string, std::string, size_t>>(
      zlib_compress(json), protocol::dump(profile_summary(profile)), json.size());
  auto id = std::make_shared<int64_t>(0);
  const int64_t created_at = unix_time_ms();
  store.write(
      [row, id, created_at, session_id = std::move(session_id), pid = profile.pid, comm = profile.comm,
       samples = profile.samples, hz_requested = profile.hz_requested, hz_effective = profile.hz_effective,
       overhead = profile.overhead_pct, stop = profile.stop_reason](store::StatementCache& sql) {
        auto st = sql.get(
            "INSERT INTO profiles (session_id, pid, comm, created_at, samples, hz_requested, hz_effective, overhead_pct,"
            " stop_reason, summary, body_bytes, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id");
        st->bind(1, std::string_view(session_id));
        st->bind(2, pid);
        st->bind(3, std::string_view(comm));
        st->bind(4, created_at);
        st->bind(5, static_cast<int64_t>(samples));
        st->bind(6, hz_requested);
        st->bind(7, hz_effective);
        st->bind(8, overhead);
        st->bind(9, std::string_view(stop));
        st->bind(10, std::string_view(std::get<1>(*row)));
        st->bind(11, static_cast<int64_t>(std::get<2>(*row)));
        const std::string& body = std::get<0>(*row);
        st->bind_blob(12, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
        if (!st->step()) throw std::runtime_error("INSERT INTO profiles returned no id");
        *id = st->column_int64(0);
      },
      [id, done = std::move(done)](Result<void> r) {
        if (!r) return done(r.error());
        done(*id);
      });
}

void load_profile(store::Store& store, int64_t id, std::function<void(std::optional<StoredProfile>)> done) {
  store.read([id, done = std::move(done)](store::StatementCache& sql) {
    std::optional<StoredProfile> out;
    try {
      auto st = sql.get("SELECT session_id, created_at, body FROM profiles WHERE id = ?");
      st->bind(1, id);
      if (st->step()) {
        auto blob = st->column_blob(2);
        auto json = zlib_decompress(std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()), kMaxBodyBytes);
        if (!json) throw std::runtime_error(json.error().message);
        StoredProfile p;
        p.id = id;
        p.session_id = st->column_text(0);
        p.created_at_ms = st->column_int64(1);
        p.profile = nlohmann::json::parse(json.value()).get<Profile>();
        out = std::move(p);
      }
    } catch (const std::exception& e) {
      spdlog::error("store: loading profile {}: {}", id, e.what());
      out.reset();
    }
    done(std::move(out));
  });
}

}  // namespace dbg::coord::profiles
