#include "engine/cli/template_check.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace herald::cli {
namespace {

using nlohmann::json;

std::string Plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// ---- the static check: does any sample provide a name? --------------------------------

const json* Lookup(const json& object, std::string_view path) {
  const json* cur = &object;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string segment(path.substr(0, dot));
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(segment);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return cur->is_null() ? nullptr : cur;
}

// The objects a name inside a section may be read from: the root, and every object that
// a section name of the template reaches from one of them (a list's object items
// included), as Mustache's context stack would hold them.
std::vector<const json*> Frames(const json& root, const std::vector<std::string>& sections) {
  std::vector<const json*> frames = {&root};
  for (size_t i = 0; i < frames.size() && frames.size() < 10000; ++i) {
    for (const std::string& name : sections) {
      const json* v = Lookup(*frames[i], name);
      if (v == nullptr) continue;
      std::vector<const json*> found;
      if (v->is_object()) found.push_back(v);
      if (v->is_array()) {
        for (const json& item : *v) {
          if (item.is_object()) found.push_back(&item);
        }
      }
      for (const json* f : found) {
        if (std::find(frames.begin(), frames.end(), f) == frames.end()) frames.push_back(f);
      }
    }
  }
  return frames;
}

// `path` from the root, or (for a name inside a section, which may be relative to the
// section's value) from any frame a section can reach.
bool Provides(const json& data, const std::vector<const json*>& frames, std::string_view path,
              bool top_level) {
  if (Lookup(data, path) != nullptr) return true;
  if (top_level) return false;
  return std::any_of(frames.begin(), frames.end(),
                     [&](const json* f) { return Lookup(*f, path) != nullptr; });
}

// ---- render errors back to positions ---------------------------------------------------

TextPosition PartStart(const MessageTemplate& t, std::string_view part) {
  if (part == "subject") return t.subject_at;
  if (part == "sms") return t.sms_at;
  return t.body_at;
}

// Where `name` is used in `part`: the first variable use, else the first use at all.
std::optional<TextPosition> UseOf(const std::vector<VariableUse>& uses, std::string_view part,
                                  std::string_view name) {
  std::optional<TextPosition> any;
  for (const VariableUse& u : uses) {
    if (PartName(u.part) != part || u.name != name) continue;
    if (!u.section) return u.at;
    if (!any) any = u.at;
  }
  return any;
}

// The quoted names in `text`: 'a', 'b.c'.
std::vector<std::string> QuotedNames(std::string_view text) {
  std::vector<std::string> out;
  for (size_t open = text.find('\''); open != std::string_view::npos;) {
    const size_t close = text.find('\'', open + 1);
    if (close == std::string_view::npos) break;
    out.emplace_back(text.substr(open + 1, close - open - 1));
    open = text.find('\'', close + 1);
  }
  return out;
}

// For each variable tag {{name}} of `source`, in text order, the helper whose section tag
// comes directly before it ({{#time}}{{name}}: "time"), or "".
std::vector<std::string> HelpersAround(std::string_view source, std::string_view name) {
  std::vector<std::string> out;
  std::string previous;
  for (size_t open = source.find("{{"); open != std::string_view::npos;) {
    const size_t close = source.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    std::string_view tag = source.substr(open + 2, close - open - 2);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag == name) out.push_back(previous.starts_with("#") ? previous.substr(1) : "");
    previous = std::string(tag);
    open = source.find("{{", close + 2);
  }
  return out;
}

// "template 'id' (en): subject: ...; body: ..." -> {"subject: ...", "body: ..."}.
std::vector<std::string> SplitProblems(const MessageTemplate& t, std::string message) {
  const std::string prefix = "template '" + t.id + "' (" + t.locale + "): ";
  if (message.starts_with(prefix)) message.erase(0, prefix.size());
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t next = std::string::npos;
    for (const char* part : {"; subject: ", "; sms: ", "; body: "}) {
      next = std::min(next, message.find(part, start));
    }
    out.push_back(message.substr(start, next == std::string::npos ? next : next - start));
    if (next == std::string::npos) break;
    start = next + 2;
  }
  return out;
}

// Render problems of one locale file, merged over samples: each problem once, naming the
// samples that showed it.
class RenderProblems {
 public:
  RenderProblems(const MessageTemplate& t, const std::vector<VariableUse>& uses,
                 const std::set<std::pair<std::string, std::string>>& known_missing,
                 size_t sample_count)
      : t_(t), uses_(uses), known_missing_(known_missing), sample_count_(sample_count) {}

  void Take(const Status& status, size_t sample) {
    for (const std::string& problem : SplitProblems(t_, status.message())) {
      const size_t colon = problem.find(": ");
      const std::string part = colon == std::string::npos ? "" : problem.substr(0, colon);
      const bool known_part = part == "subject" || part == "sms" || part == "body";
      const std::string rest = colon == std::string::npos ? problem : problem.substr(colon + 2);
      if (known_part && rest.starts_with("missing variable")) {
        for (const std::string& name : QuotedNames(rest)) {
          if (known_missing_.count({part, name})) continue;  // reported with its uses
          Add(UseOf(uses_, part, name).value_or(PartStart(t_, part)),
              part + ": missing variable '" + name + "'", sample);
        }
        continue;
      }
      TextPosition at = known_part ? PartStart(t_, part) : TextPosition{};
      if (known_part) {
        // "{{#time}}: the value of 'interview_at' ...": the use inside that helper.
        const std::string helper =
            rest.starts_with("{{#") ? rest.substr(3, rest.find("}}") - 3) : std::string();
        for (const std::string& name : QuotedNames(rest)) {
          if (std::optional<TextPosition> use = UseIn(part, name, helper)) {
            at = *use;
            break;
          }
        }
      }
      Add(at, problem, sample);
    }
  }

  void AppendTo(std::vector<ConfigError>* errors) const {
    for (const Entry& e : entries_) {
      errors->push_back({t_.file, e.at.line, e.at.column, e.message + " " + WithSamples(e)});
    }
  }

 private:
  struct Entry {
    TextPosition at;
    std::string message;
    std::vector<size_t> samples;
  };

  // The first variable use of `name` in `part` directly inside {{#helper}}; else the
  // first use of it.
  std::optional<TextPosition> UseIn(const std::string& part, const std::string& name,
                                    const std::string& helper) const {
    const std::string_view source = part == "subject" ? t_.subject
                                    : part == "sms"   ? t_.sms
                                                      : t_.body;
    const std::vector<std::string> around = HelpersAround(source, name);
    std::vector<TextPosition> at;
    for (const VariableUse& u : uses_) {
      if (!u.section && PartName(u.part) == part && u.name == name) at.push_back(u.at);
    }
    if (!helper.empty() && around.size() == at.size()) {
      for (size_t i = 0; i < at.size(); ++i) {
        if (around[i] == helper) return at[i];
      }
    }
    return UseOf(uses_, part, name);
  }

  void Add(TextPosition at, const std::string& message, size_t sample) {
    for (Entry& e : entries_) {
      if (e.at == at && e.message == message) {
        if (e.samples.back() != sample) e.samples.push_back(sample);
        return;
      }
    }
    entries_.push_back({at, message, {sample}});
  }

  std::string WithSamples(const Entry& e) const {
    if (sample_count_ == 1) return "with the sample";
    if (e.samples.size() == sample_count_) return "with every sample";
    std::string out = e.samples.size() == 1 ? "with sample " : "with samples ";
    for (size_t i = 0; i < e.samples.size(); ++i) {
      if (i > 0) out += i + 1 == e.samples.size() ? " and " : ", ";
      out += std::to_string(e.samples[i] + 1);
    }
    return out;
  }

  const MessageTemplate& t_;
  const std::vector<VariableUse>& uses_;
  const std::set<std::pair<std::string, std::string>>& known_missing_;
  const size_t sample_count_;
  std::vector<Entry> entries_;
};

std::string Position(const TextPosition& at) {
  return std::to_string(at.line) + ":" + std::to_string(at.column);
}

// Variables ({{x}}) that no sample provides, one error per part and name at its first use.
void CheckProvided(const MessageTemplate& t, const std::vector<VariableUse>& uses,
                   const std::vector<json>& data,
                   std::set<std::pair<std::string, std::string>>* missing,
                   std::vector<ConfigError>* errors) {
  std::vector<std::string> sections;
  for (const VariableUse& u : uses) {
    if (u.section) sections.push_back(u.name);
  }
  std::vector<std::vector<const json*>> frames;
  for (const json& d : data) frames.push_back(Frames(d, sections));
  std::map<std::pair<std::string, std::string>, std::vector<TextPosition>> unprovided;
  std::vector<std::pair<std::string, std::string>> order;
  for (const VariableUse& u : uses) {
    if (u.section) continue;
    bool provided = false;
    for (size_t i = 0; i < data.size() && !provided; ++i) {
      provided = Provides(data[i], frames[i], u.name, u.top_level);
    }
    if (provided) continue;
    const std::pair<std::string, std::string> key{std::string(PartName(u.part)), u.name};
    auto [it, added] = unprovided.try_emplace(key);
    if (added) order.push_back(key);
    it->second.push_back(u.at);
  }
  for (const auto& key : order) {
    const std::vector<TextPosition>& at = unprovided[key];
    std::string message =
        key.first + ": missing variable '" + key.second + "': the sample data does not provide it";
    if (at.size() > 1) {
      message += " (also used at ";
      for (size_t i = 1; i < at.size(); ++i) message += (i > 1 ? ", " : "") + Position(at[i]);
      message += ")";
    }
    errors->push_back({t.file, at[0].line, at[0].column, std::move(message)});
    missing->insert(key);
  }
}

std::string SampleName(size_t i, size_t count) {
  return count == 1 ? "the sample" : "sample " + std::to_string(i + 1);
}

}  // namespace

void CheckTemplate(const TemplateSet& templates, std::string_view id,
                   const TemplateSamples& samples, const CampaignSet& campaigns,
                   const Branding& branding, TemplateCheckReport* report) {
  // Every campaign that sends the template (its first rule doing so); the first sets the
  // time zone and context of the main renders.
  std::vector<RuleRef> senders;
  for (const Campaign& c : campaigns.campaigns()) {
    for (const Rule& r : c.rules) {
      if (r.send == id) {
        senders.push_back({&c, &r});
        break;
      }
    }
  }
  const RuleRef main = senders.empty() ? RuleRef{} : senders.front();
  const size_t count = samples.samples.size();
  ++report->templates_checked;

  for (const std::string& locale : templates.Locales(id)) {
    const MessageTemplate* t = templates.Find(id, locale);
    if (t == nullptr) continue;
    const std::vector<VariableUse> uses = TemplateVariableUses(*t);
    std::vector<RenderInput> inputs;
    std::vector<json> data;
    for (const TemplateSample& s : samples.samples) {
      inputs.push_back(SampleRenderInput(s, t->locale, main, branding));
      data.push_back(inputs.back().data);
    }
    std::vector<ConfigError> errors;
    std::set<std::pair<std::string, std::string>> missing;
    CheckProvided(*t, uses, data, &missing, &errors);

    RenderProblems problems(*t, uses, missing, count);
    for (size_t i = 0; i < count; ++i) {
      Result<RenderedEmail> email = RenderEmail(*t, inputs[i]);
      Result<RenderedSms> sms = RenderSms(*t, inputs[i]);
      report->renders += 2;
      if (!email.ok()) problems.Take(email.status(), i);
      if (!sms.ok()) {
        problems.Take(sms.status(), i);
        continue;
      }
      for (const RuleRef& sender : senders) {
        const std::optional<int> max = sender.campaign->max_segments;
        if (!max) continue;
        SmsInfo info = sms->info;
        if (sender.campaign->timezone != main.campaign->timezone) {
          // Dates may read differently on this campaign's clock.
          Result<RenderedSms> own =
              RenderSms(*t, SampleRenderInput(samples.samples[i], t->locale, sender, branding));
          ++report->renders;
          if (!own.ok()) continue;  // reported from the main render
          info = own->info;
        }
        if (info.segments <= *max) continue;
        errors.push_back({t->file, t->sms_at.line, t->sms_at.column,
                          "sms: renders to " + Plural(info.segments, "segment", "segments") + " (" +
                              info.encoding + ", " + std::to_string(info.units) + " units) with " +
                              SampleName(i, count) + "; campaign " + sender.campaign->id +
                              " allows " + std::to_string(*max)});
      }
    }
    problems.AppendTo(&errors);
    std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    report->errors.insert(report->errors.end(), errors.begin(), errors.end());
  }
}

TemplateCheckReport CheckTemplateSamples(const TemplateSet& templates,
                                         const std::string& templates_dir,
                                         const CampaignSet& campaigns, const Branding& branding) {
  TemplateCheckReport report;
  for (const std::string& id : templates.Ids()) {
    const std::string path = SamplePath(templates_dir, id);
    Result<TemplateSamples> samples = ReadSamples(path, &report.errors);
    if (samples.status().IsNotFound()) {
      report.warnings.push_back({path, 0, 0,
                                 "warning: not found, so the variables of template '" + id +
                                     "' were not checked (see \"Sample data\" in "
                                     "docs/templates.md)"});
      continue;
    }
    if (!samples.ok()) continue;  // its errors are in report.errors
    CheckTemplate(templates, id, *samples, campaigns, branding, &report);
  }
  return report;
}

}  // namespace herald::cli
