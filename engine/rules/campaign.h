// Campaigns: what an agency wants sent, when, to whom, in which language.
//
// A campaign is one YAML file in the `campaigns:` directory (docs/campaigns.md is the
// reference for agencies; campaign_loader.h loads and checks the files). What the loader
// hands on is this compiled model: every key checked, every expression parsed, every
// duration and time zone resolved, so nothing downstream re-validates or handles a bad
// value. The model is immutable: Campaign and Rule are plain values, and a CampaignSet
// shares one immutable copy of them between its copies, so any number of threads may
// read the same set at once without locking.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/event.h"
#include "engine/rules/expr.h"
#include "engine/schedule/frequency_cap.h"
#include "engine/schedule/local_time.h"
#include "engine/schedule/send_window.h"

namespace herald {

// Which of a recipient's channels a rule's message goes to (`channels:`). Whatever the
// kind, a message never goes to a channel the recipient has no address for, nor to one
// left out of the recipient's own `channels` list when they gave one.
struct ChannelSpec {
  enum class Kind {
    kPreferred,  // `preferred` (the default): the recipient's first usable channel only
    kAll,        // `all`: every usable channel of the recipient
    kList,       // `[sms, email]`: these channels, where usable
  };
  Kind kind = Kind::kPreferred;
  std::vector<Channel> list;  // kList only: non-empty, no duplicates, in file order

  bool operator==(const ChannelSpec&) const = default;
};

// One entry of a campaign's `rules:`. Timing (see docs/campaigns.md):
// - the first send is due at the event's occurred_at, plus `after` when given, or at the
//   instant `at` evaluates to when given (never both);
// - `times` > 1 repeats the send every `every` after the previous one, `times` sends in
//   all; `times` > 1 always comes with `every` and `while_cond`, `every` only with it;
// - `while_cond` is re-checked on every later event of the case and at each send; once it
//   is not true, whatever the rule still has pending is cancelled;
// - quiet hours and the frequency cap then move each due time later, never earlier.
struct Rule {
  std::string id;                         // [a-z0-9_-]{1,64}, unique within the campaign
  std::vector<std::string> on;            // event types, [A-Za-z0-9_.:-]+, non-empty, distinct
  std::optional<rules::Expression> when;  // on the case state after the event
  std::optional<rules::Expression> while_cond;  // `while:` (a C++ keyword, hence the name)
  std::optional<rules::Expression> at;          // MayYieldTime() holds; exclusive with after
  std::optional<Micros> after;                  // > 0
  std::optional<Micros> every;                  // > 0; set exactly when times > 1
  int times = 1;                                // 1..1000
  std::string send;                             // template id, [a-z0-9_-]{1,64}
  ChannelSpec channels;
  int line = 0;  // where the rule starts in the campaign's source_file (1-based), for logs
};

struct Campaign {
  std::string id;                    // `campaign:`, [a-z0-9_-]{1,64}, unique across the directory
  std::string name;                  // `name:`, for people; the id when not given
  std::vector<std::string> locales;  // non-empty, valid BCP 47, distinct; front() is the default
  std::string timezone = "UTC";      // IANA id as written; for recipients without one
  Zone zone = Zone::Utc();           // `timezone`, loaded
  std::optional<QuietHours> quiet_hours;      // start != end
  std::optional<FrequencyCap> frequency_cap;  // valid (ValidateFrequencyCap)
  std::optional<int> max_segments;            // 1..10: longest SMS, in segments
  std::vector<Rule> rules;                    // non-empty, in file order
  std::string source_file;                    // the file it was loaded from

  const std::string& default_locale() const { return locales.front(); }
};

// A rule together with the campaign it belongs to. The pointers stay valid as long as
// any copy of the CampaignSet they came from exists.
struct RuleRef {
  const Campaign* campaign = nullptr;
  const Rule* rule = nullptr;
};

// Every campaign of a directory, with the lookups the rule engine needs. Immutable;
// cheap to copy (copies share the campaigns, and pointers into them stay valid while
// any copy lives); thread-safe to read. A default-constructed set is empty.
class CampaignSet {
 public:
  CampaignSet();

  // `campaigns` must have distinct ids (the loader guarantees it; a later duplicate is
  // not findable by id). The order is kept.
  explicit CampaignSet(std::vector<Campaign> campaigns);

  // All campaigns, in the order given (the loader's: by file name).
  const std::vector<Campaign>& campaigns() const;

  // The campaign with this id, or nullptr when there is none.
  const Campaign* Find(std::string_view id) const;

  // The rules that listen for `event_type` (exact match), in campaign order and then
  // rule order. Empty when none does.
  std::span<const RuleRef> RulesFor(std::string_view event_type) const;

  size_t size() const { return campaigns().size(); }
  bool empty() const { return campaigns().empty(); }
  size_t rule_count() const;

 private:
  struct Data {
    std::vector<Campaign> campaigns;
    std::map<std::string, size_t, std::less<>> by_id;
    std::map<std::string, std::vector<RuleRef>, std::less<>> by_event_type;
    size_t rule_count = 0;
  };
  std::shared_ptr<const Data> data_;  // never null
};

}  // namespace herald
