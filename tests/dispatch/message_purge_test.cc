// Retention on the message store: PurgePersonalData removes addresses, renderings and
// addresses quoted by gateways from settled messages, and the bytes leave the files.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/dispatch/dispatch_env.h"

namespace herald {
namespace {

using testing::TempDir;

// Whether any file under `dir` holds `needle` (logs, WAL, SST, manifests: everything).
bool AnyFileHolds(const std::string& dir, const std::string& needle) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (bytes.str().find(needle) != std::string::npos) return true;
  }
  return false;
}

Message Make(const std::string& id, MessageStatus s, Micros created, const std::string& to,
             const std::string& body) {
  Message m;
  m.id = id;
  m.plan = PlanKey{"snap", "reminder", "case-" + id};
  m.intent_key = OutboxKey(m.plan, 1);
  m.status = s;
  m.created_at = created;
  m.next_attempt_at = created;
  m.to = to;
  m.subject = "Subject " + body;
  m.mime = "Subject: x\r\n\r\n" + body + "\r\n";
  m.text = body;
  return m;
}

TEST_CASE("purge: settled messages before the cutoff lose their personal data, on disk too") {
  TempDir dir;
  MessageStoreOptions o;
  o.path = dir.Sub("m");
  o.sync_writes = false;
  auto store = std::move(RocksMessageStore::Open(o)).value();
  const Micros day = 86'400'000'000LL, t0 = 1'767'225'600'000'000LL;

  Message old_sent = Make(std::string(32, 'a'), MessageStatus::kSent, t0, "maria.purge@example.org",
                          "BODY-OF-MARIA");
  Message old_bounced = Make(std::string(32, 'b'), MessageStatus::kBounced, t0,
                             "lan.purge@example.org", "BODY-OF-LAN");
  old_bounced.reason = "bounced 550: lan.purge@example.org does not exist";
  old_bounced.history = {MessageEvent{t0, MessageStatus::kBounced,
                                      "bounced 550: lan.purge@example.org does not exist", "", 1}};
  Message old_queued = Make(std::string(32, 'c'), MessageStatus::kQueued, t0,
                            "ahmad.keep@example.org", "BODY-OF-AHMAD");
  Message new_sent = Make(std::string(32, 'd'), MessageStatus::kSent, t0 + 10 * day,
                          "new.keep@example.org", "BODY-OF-NEW");
  MessageBatch b;
  b.put_messages = {old_sent, old_bounced, old_queued, new_sent};
  REQUIRE(store->Commit(b).ok());
  REQUIRE(store->CompactAll().ok());  // the values are in table files, not just the WAL
  CHECK(AnyFileHolds(dir.Sub("m"), "maria.purge@example.org"));
  CHECK(AnyFileHolds(dir.Sub("m"), "BODY-OF-MARIA"));

  Result<size_t> purged = store->PurgePersonalData(t0 + 5 * day);
  REQUIRE(purged.ok());
  CHECK(*purged == 2);

  const Message a = **store->Get(old_sent.id);
  CHECK(a.to.empty());
  CHECK(a.mime.empty());
  CHECK(a.subject.empty());
  CHECK(a.status == MessageStatus::kSent);  // the state and its history stay
  const Message bounced = **store->Get(old_bounced.id);
  CHECK(bounced.reason.find("lan.purge@example.org") == std::string::npos);
  CHECK(bounced.history[0].detail.find("lan.purge@example.org") == std::string::npos);
  CHECK(bounced.history[0].detail.find("does not exist") != std::string::npos);
  // Still to be sent, or inside the window: kept.
  CHECK((*store->Get(old_queued.id))->to == "ahmad.keep@example.org");
  CHECK((*store->Get(old_queued.id))->mime.find("BODY-OF-AHMAD") != std::string::npos);
  CHECK((*store->Get(new_sent.id))->to == "new.keep@example.org");

  store.reset();  // close: nothing the purge removed may survive in any file
  for (const char* gone :
       {"maria.purge@example.org", "BODY-OF-MARIA", "lan.purge@example.org", "BODY-OF-LAN"}) {
    CAPTURE(gone);
    CHECK_FALSE(AnyFileHolds(dir.Sub("m"), gone));
  }
  CHECK(AnyFileHolds(dir.Sub("m"), "BODY-OF-AHMAD"));

  store = std::move(RocksMessageStore::Open(o)).value();
  CHECK(*store->PurgePersonalData(t0 + 5 * day) == 0);  // again: nothing left to do
}

}  // namespace
}  // namespace herald
