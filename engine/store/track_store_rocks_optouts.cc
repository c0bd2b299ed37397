// RocksTrackStore: looking up and lifting an address opt-out (the address_optouts family),
// for the agency's POST /v1/opt-outs/lookup and /v1/opt-outs/lift.
#include <mutex>

#include "engine/store/track_codec.h"
#include "engine/store/track_store_batch.h"
#include "engine/store/track_store_rocks.h"

namespace herald {

Result<std::optional<OptOut>> RocksTrackStore::GetAddressOptOut(Channel channel,
                                                                std::string_view address) {
  const std::string hash = AddressHash(channel, address);
  if (hash.empty()) return Status::InvalidArgument("track store: empty address");
  Result<std::optional<std::string>> v =
      GetValue(kAddressOptOuts, AddressKey(channel, hash), "address opt-out");
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<OptOut>();
  Result<OptOut> o = DecodeOptOut(**v);
  if (!o.ok()) return o.status();
  return std::optional<OptOut>(std::move(o).value());
}

Result<std::optional<OptOut>> RocksTrackStore::LiftAddressOptOut(Channel channel,
                                                                 std::string_view address) {
  const std::string hash = AddressHash(channel, address);
  if (hash.empty()) return Status::InvalidArgument("track store: empty address");
  // Under the write lock, so a STOP or an unsubscribe of the same address is either before
  // the lift (and lifted) or after it (and kept).
  std::unique_lock<std::mutex> lock;
  if (Status s = LockForWrite(&lock); !s.ok()) return s;
  Result<std::optional<OptOut>> current = GetAddressOptOut(channel, address);
  if (!current.ok() || !current->has_value()) return current;
  Batch b;
  b.seq = event_seq_;
  if (Status s = RemoveOptOut(b, "", hash, channel); !s.ok()) return s;
  if (Status s = Write(b, options_.sync_writes); !s.ok()) return s;
  return current;
}

}  // namespace herald
