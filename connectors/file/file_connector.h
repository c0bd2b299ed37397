// The `file` connector: the development default. Each message becomes one file in a
// folder instead of going to a gateway, so a developer (or a test) can read exactly what
// herald would have sent.
//
// Options (herald.yaml, under connectors.<name>):
//   path   string, required: the folder (already resolved against the config file's
//          directory); created on first use if missing.
// Any other option is an error naming it. Channels: email and sms.
//
// Files: an email is written as "<id>.eml", the MIME message exactly as given; an SMS as
// "<id>.json", {"id", "channel": "sms", "to", "text", "status_callback_url"?,
// "metadata"}. <id> is the message id with every byte outside [A-Za-z0-9._-] (and a
// leading '.') written as %XX; very long ids are shortened with a hash. Each file is
// written to a temporary name in the folder, flushed to disk and renamed into place, so
// a reader never sees a partial file and a message sent twice (a retry) is still one
// file. The outcome's provider_id is the file name.
//
// Errors: a folder that cannot be created or written is kTemporary (the reason names
// the system error, never the path or the message); an email without MIME content or a
// message without an id is kPermanent. Thread-safe: Send may run on any number of
// threads at once (max_concurrency() is 8).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "connectors/registry.h"
#include "engine/config/config.h"
#include "engine/core/result.h"

namespace herald {

Result<std::unique_ptr<Connector>> CreateFileConnector(const ConnectorConfig& config,
                                                       const ConnectorEnv& env);

// The file name a message gets: FileConnectorStem(id) + ".eml" or ".json".
std::string FileConnectorStem(std::string_view message_id);

}  // namespace herald
