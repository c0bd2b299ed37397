// Machine versus human: which opens and clicks were made by software rather than a person.
//
// Raw events are always kept; the verdict only decides which counters an event feeds
// (human or machine) and is stored with the event. The rules, each with its reason:
//
// Opens (the pixel was fetched):
// 1. No user agent: browsers and mail clients always send one (kEmptyUserAgent).
// 2. A prefetching privacy proxy: Apple Mail Privacy Protection fetches every remote image
//    of every message when it reaches the device, opened or not, with the bare user agent
//    "Mozilla/5.0" (kPrefetchProxy). Always machine.
// 3. A scanner or bot user agent (security gateways, HTTP libraries, crawlers, link
//    previews; see ClassifyUserAgent): nobody reads mail with curl (kScanner, kBot).
// 4. An image proxy (GoogleImageProxy, YahooMailProxy, ...) within
//    `proxy_open_window` of delivery (or of sending, without a receipt): these proxies fetch
//    when the person opens the message, but also on arrival for caching or scanning; a
//    fetch seconds after delivery is the latter (kProxyAtDelivery). Later fetches through
//    the same proxies are human opens (Gmail's proxy is how Gmail users open).
// 5. Any open within `min_open_delay` of sending: no person opens a message that fast
//    (kTooSoon).
//
// Clicks (a click link was followed):
// 1-3 as for opens, with image proxies counted as bots (they never follow links).
// 4. Within `min_click_delay` of sending (kTooSoon): security gateways (Microsoft Safe
//    Links, Proofpoint, Mimecast...) follow links on delivery, often with browser user agents.
// 5. Every link of a message (two or more) clicked within `all_links_window`: the pattern
//    of a scanner walking the message; the click that completes the set and the earlier
//    human-classed clicks of the burst are machine (kAllLinks; the store reclassifies the
//    earlier ones and moves their counts).
//
// SMS links are classified by the same click rules (link previews in messaging apps use
// crawler user agents such as facebookexternalhit, which rule 3 catches).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"

namespace herald {

struct ClassifierOptions {
  Micros min_open_delay = 2'000'000;
  Micros proxy_open_window = 60'000'000;
  Micros min_click_delay = 2'000'000;
  Micros all_links_window = 10'000'000;
};

enum class AgentKind {
  kClient,         // a browser or mail client, as far as we can tell
  kEmpty,          // no user agent
  kPrefetchProxy,  // Apple Mail Privacy Protection
  kImageProxy,     // Gmail, Yahoo and other webmail image proxies
  kScanner,        // security gateways and link scanners
  kBot,            // HTTP libraries, crawlers, link previews
};

// By case-insensitive substrings (and, for Apple MPP, the exact string "Mozilla/5.0").
AgentKind ClassifyUserAgent(std::string_view user_agent);

enum class MachineReason {
  kNone,  // human
  kEmptyUserAgent,
  kPrefetchProxy,
  kScanner,
  kBot,
  kProxyAtDelivery,
  kTooSoon,
  kAllLinks,
};

std::string_view MachineReasonName(MachineReason r);  // "", "empty_user_agent", ...

struct Verdict {
  bool machine = false;
  MachineReason reason = MachineReason::kNone;
};

struct OpenInput {
  Micros at = 0;
  Micros sent_at = 0;       // 0: unknown (then the time rules do not apply)
  Micros delivered_at = 0;  // 0: no delivery receipt
  std::string_view user_agent;
};

Verdict ClassifyOpen(const OpenInput& in, const ClassifierOptions& options);

// An earlier click of the same message, as the store supplies it.
struct PriorClick {
  Micros at = 0;
  uint32_t link_index = 0;
  bool machine = false;
};

struct ClickInput {
  Micros at = 0;
  Micros sent_at = 0;
  Micros delivered_at = 0;
  uint32_t link_index = 0;
  uint32_t link_count = 0;  // size of the message's link table
  std::string_view user_agent;
  // The message's clicks with at >= this at - all_links_window (more is allowed, in any
  // order: older ones are ignored).
  std::span<const PriorClick> recent;
};

struct ClickVerdict {
  bool machine = false;
  MachineReason reason = MachineReason::kNone;
  // Indexes into `recent` of human clicks that the all-links rule turns into machine ones.
  std::vector<size_t> reclassify;
};

ClickVerdict ClassifyClick(const ClickInput& in, const ClassifierOptions& options);

}  // namespace herald
