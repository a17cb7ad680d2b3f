#pragma once
// What a host writes to the fleet database: its host row (register, heartbeat) and its outbox
// rows (ship). Blocking libpq calls: the publisher's thread only.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "coordinator/fleet/fleet_identity.hpp"
#include "coordinator/fleet/outbox.hpp"

namespace dbg::coord::fleet {

class PgConnection;

// Samples kept per group and host in fleet_samples (the latest ones).
inline constexpr int kSamplesPerGroupAndHost = 5;

// Upserts the host row (a restart or a reboot updates instance, boot_id, started_at).
void register_host(PgConnection& pg, const FleetIdentity& id);
// false when the host row is gone (someone deleted it): register again.
bool heartbeat(PgConnection& pg, const FleetIdentity& id);

struct ShipOutcome {
  int64_t through = 0;      // the watermark after the batch: every row up to it is in
  std::size_t applied = 0;  // rows counted now
  std::size_t skipped = 0;  // rows at or below the watermark already (sent before)
  int64_t events = 0;       // the applied rows' counts
};

// One transaction: lock this publisher's watermark, apply the rows above it (per-host and
// fleet-wide group counts, samples, pruning; session summaries), move the watermark to the last
// row. Rows must be in id order; `summaries` holds the JSON summary of each "session" row by
// row id (a session row without one is stored with a summary saying so). Throws PgError;
// nothing is applied then.
ShipOutcome ship(PgConnection& pg, const FleetIdentity& id, const std::vector<OutboxRow>& rows,
                 const std::map<int64_t, std::string>& summaries = {});

}  // namespace dbg::coord::fleet
