#include "engine/track/classifier.h"

#include <algorithm>
#include <string>
#include <vector>

namespace herald {
namespace {

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

bool ContainsAny(const std::string& haystack, std::initializer_list<std::string_view> needles) {
  for (std::string_view n : needles) {
    if (haystack.find(n) != std::string::npos) return true;
  }
  return false;
}

// Crawlers name themselves "...bot" or "...Bot"; a case-sensitive match keeps device names
// in capitals (the CUBOT phone brand) out.
bool NamesABot(std::string_view ua) {
  return ua.find("bot") != std::string_view::npos || ua.find("Bot") != std::string_view::npos;
}

Verdict Machine(MachineReason r) {
  return {true, r};
}

}  // namespace

AgentKind ClassifyUserAgent(std::string_view user_agent) {
  std::string_view ua = user_agent;
  while (!ua.empty() && (ua.front() == ' ' || ua.front() == '\t')) ua.remove_prefix(1);
  while (!ua.empty() && (ua.back() == ' ' || ua.back() == '\t')) ua.remove_suffix(1);
  if (ua.empty()) return AgentKind::kEmpty;
  if (ua == "Mozilla/5.0") return AgentKind::kPrefetchProxy;
  const std::string l = Lowered(ua);
  if (ContainsAny(l, {"googleimageproxy", "ggpht.com", "yahoomailproxy", "yahoo mail proxy",
                      "outlookimageproxy", "mail.ru_bot", "protonmail", "hey-imageproxy"})) {
    return AgentKind::kImageProxy;
  }
  if (ContainsAny(
          l, {"barracuda",  "proofpoint",  "mimecast",   "bingpreview", "safelinks",  "safe links",
              "symantec",   "messagelabs", "trendmicro", "trend micro", "forcepoint", "sophos",
              "fortiguard", "ironport",    "zscaler",    "appriver",    "virustotal", "urlscan",
              "checkpoint", "cisco",       "mcafee",     "paloalto"})) {
    return AgentKind::kScanner;
  }
  if (NamesABot(ua) || ContainsAny(l, {"crawler",
                                       "spider",
                                       "curl/",
                                       "wget/",
                                       "python-requests",
                                       "python-urllib",
                                       "aiohttp",
                                       "httpx",
                                       "go-http-client",
                                       "java/",
                                       "okhttp",
                                       "apache-httpclient",
                                       "libwww-perl",
                                       "headlesschrome",
                                       "phantomjs",
                                       "node-fetch",
                                       "axios/",
                                       "scrapy",
                                       "facebookexternalhit",
                                       "whatsapp",
                                       "skypeuripreview",
                                       "preview",
                                       "postman",
                                       "httpclient"})) {
    return AgentKind::kBot;
  }
  return AgentKind::kClient;
}

std::string_view MachineReasonName(MachineReason r) {
  switch (r) {
    case MachineReason::kNone:
      return "";
    case MachineReason::kEmptyUserAgent:
      return "empty_user_agent";
    case MachineReason::kPrefetchProxy:
      return "prefetch_proxy";
    case MachineReason::kScanner:
      return "scanner";
    case MachineReason::kBot:
      return "bot";
    case MachineReason::kProxyAtDelivery:
      return "proxy_at_delivery";
    case MachineReason::kTooSoon:
      return "too_soon";
    case MachineReason::kAllLinks:
      return "all_links";
  }
  return "";
}

Verdict ClassifyOpen(const OpenInput& in, const ClassifierOptions& options) {
  switch (ClassifyUserAgent(in.user_agent)) {
    case AgentKind::kEmpty:
      return Machine(MachineReason::kEmptyUserAgent);
    case AgentKind::kPrefetchProxy:
      return Machine(MachineReason::kPrefetchProxy);
    case AgentKind::kScanner:
      return Machine(MachineReason::kScanner);
    case AgentKind::kBot:
      return Machine(MachineReason::kBot);
    case AgentKind::kImageProxy: {
      const Micros arrival = in.delivered_at != 0 ? in.delivered_at : in.sent_at;
      if (arrival != 0 && in.at - arrival < options.proxy_open_window) {
        return Machine(MachineReason::kProxyAtDelivery);
      }
      break;
    }
    case AgentKind::kClient:
      break;
  }
  if (in.sent_at != 0 && in.at - in.sent_at < options.min_open_delay) {
    return Machine(MachineReason::kTooSoon);
  }
  return {};
}

ClickVerdict ClassifyClick(const ClickInput& in, const ClassifierOptions& options) {
  ClickVerdict v;
  auto machine = [&v](MachineReason r) {
    v.machine = true;
    v.reason = r;
    return v;
  };
  switch (ClassifyUserAgent(in.user_agent)) {
    case AgentKind::kEmpty:
      return machine(MachineReason::kEmptyUserAgent);
    case AgentKind::kPrefetchProxy:
      return machine(MachineReason::kPrefetchProxy);
    case AgentKind::kScanner:
      return machine(MachineReason::kScanner);
    case AgentKind::kImageProxy:
    case AgentKind::kBot:
      return machine(MachineReason::kBot);
    case AgentKind::kClient:
      break;
  }
  if (in.sent_at != 0 && in.at - in.sent_at < options.min_click_delay) {
    return machine(MachineReason::kTooSoon);
  }
  if (in.link_count >= 2) {
    std::vector<bool> seen(in.link_count, false);
    size_t distinct = 0;
    auto see = [&](uint32_t i) {
      if (i < in.link_count && !seen[i]) {
        seen[i] = true;
        ++distinct;
      }
    };
    see(in.link_index);
    std::vector<size_t> burst;
    for (size_t i = 0; i < in.recent.size(); ++i) {
      const PriorClick& c = in.recent[i];
      if (c.at < in.at - options.all_links_window || c.at > in.at) continue;
      see(c.link_index);
      if (!c.machine) burst.push_back(i);
    }
    if (distinct == in.link_count) {
      v.reclassify = std::move(burst);
      return machine(MachineReason::kAllLinks);
    }
  }
  return v;
}

}  // namespace herald
