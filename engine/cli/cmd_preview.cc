// herald preview: one template rendered with sample data, as `herald serve` would send it.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "engine/cli/args.h"
#include "engine/cli/commands.h"
#include "engine/cli/config_loader.h"
#include "engine/cli/template_sample.h"
#include "engine/core/validate.h"
#include "engine/dispatch/template_composer.h"  // BrandingFor
#include "templates/mime/mime_message.h"

namespace herald::cli {
namespace {

constexpr const char* kHelp =
    R"(Usage: herald preview [--config FILE] --template ID --locale LOCALE [--data FILE.json]
                      [--sample N] [--channel email|sms] [--out PATH.html|PATH.eml]

Renders one template for a recipient whose locale is LOCALE, exactly as `herald serve`
would, and prints the email subject, the plain-text part and the SMS with its encoding
and segment count. The email's HTML goes to a file: --out PATH.html, or with --out
PATH.eml the complete email (headers and both parts) as serve would hand it to a
connector; without --out, ID.LOCALE.html in the current directory. Nothing is sent and
no data directory is read or written.

  --template ID    the template: a directory of the configuration's templates directory
  --locale LOCALE  the recipient's locale (BCP 47). The file is chosen as serve chooses
                   it: LOCALE.md, then LOCALE without its last part (es-MX -> es), then
                   the default locale of the campaign that sends the template
  --data FILE      the case, in the form of sample.json (docs/templates.md, "Sample
                   data"); default: the template's own sample.json
  --sample N       which case, when the file holds a list of them (default 1)
  --channel C      email or sms only (default: both)
  --out PATH       where to write the email: a .html or an .eml file

See docs/preview.md.
Exit status: 0 when the message renders, 1 when it cannot (unknown template or locale,
bad data, missing variables, an SMS over the campaign's max_segments), 2 for a usage
error.
)";

int Usage(const std::string& problem) {
  std::fprintf(stderr, "herald preview: %s\n\n%s", problem.c_str(), kHelp);
  return 2;
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  return static_cast<bool>(out);
}

void PrintBlock(const std::string& title, const std::string& text) {
  std::printf("--- %s ---\n%s%s\n", title.c_str(), text.c_str(),
              text.empty() || text.back() == '\n' ? "" : "\n");
}

}  // namespace

int RunPreview(int argc, char** argv, int first) {
  ParsedArgs args = ParseArgs(
      argc, argv, first, {"config", "template", "locale", "data", "sample", "channel", "out"}, {});
  if (args.Has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (!args.error.empty()) return Usage(args.error);
  if (!args.positional.empty()) return Usage("unexpected argument '" + args.positional[0] + "'");
  const std::optional<std::string> id = args.Get("template");
  const std::optional<std::string> locale = args.Get("locale");
  if (!id || !locale) return Usage("give --template ID and --locale LOCALE");
  const std::string channel = args.Get("channel").value_or("");
  if (!channel.empty() && channel != "email" && channel != "sms") {
    return Usage("--channel is email or sms, not '" + channel + "'");
  }
  const bool want_email = channel != "sms", want_sms = channel != "email";
  size_t sample_number = 1;
  if (std::optional<std::string> n = args.Get("sample")) {
    char* end = nullptr;
    const long v = std::strtol(n->c_str(), &end, 10);
    if (n->empty() || *end != '\0' || v < 1 || v > 1000000) {
      return Usage("--sample wants a number from 1, got '" + *n + "'");
    }
    sample_number = static_cast<size_t>(v);
  }
  const std::optional<std::string> out_arg = args.Get("out");
  if (out_arg) {
    if (!want_email) return Usage("--out writes the email; it does not go with --channel sms");
    if (!out_arg->ends_with(".html") && !out_arg->ends_with(".eml")) {
      return Usage("--out must name a .html or an .eml file, not '" + *out_arg + "'");
    }
  }
  if (!IsValidLocale(*locale)) {
    std::fprintf(stderr,
                 "herald preview: '%s' is not a BCP 47 locale (such as en, es-MX or zh-Hans)\n",
                 locale->c_str());
    return 1;
  }

  const std::optional<Config> config = LoadConfigWithoutSecrets(args.Get("config"), "preview");
  if (!config) return 1;
  const std::optional<LoadedCampaigns> campaigns = LoadCampaignsOrReport(*config);
  if (!campaigns) return 1;
  const std::optional<TemplateSet> templates = LoadTemplatesOrReport(*config);
  if (!templates) return 1;
  if (templates->Locales(*id).empty()) {
    const std::vector<std::string> ids = templates->Ids();
    std::fprintf(stderr, "herald preview: no template '%s' in %s/ (%s%s)\n", id->c_str(),
                 config->templates_dir.c_str(),
                 ids.empty() ? "it has none" : "it has: ", Join(ids).c_str());
    return 1;
  }

  // The file, as TemplateComposer resolves it.
  const RuleRef sender = FirstSender(campaigns->campaigns, *id);
  const std::string default_locale =
      sender.campaign != nullptr ? sender.campaign->default_locale() : "";
  const MessageTemplate* t = templates->Resolve(*id, *locale, default_locale);
  if (t == nullptr) {
    std::fprintf(stderr,
                 "herald preview: template '%s' has no file for '%s' or a language it "
                 "belongs to (its locales: %s)%s\n",
                 id->c_str(), locale->c_str(), Join(templates->Locales(*id)).c_str(),
                 sender.campaign != nullptr ? "" : "; no campaign sends it to give a default");
    return 1;
  }
  std::printf("template  %s\n", t->file.c_str());
  const std::string want = Lower(*locale), got = Lower(t->locale);
  if (want != got) {
    const bool parent = want.starts_with(got + "-");
    std::printf("          (no %s.md: %s)\n", locale->c_str(),
                parent ? ("falling back to " + t->locale + ", the language it belongs to").c_str()
                       : ("falling back to " + t->locale + ", the default locale of campaign " +
                          sender.campaign->id)
                             .c_str());
  }

  // The case.
  const std::string data_path = args.Get("data").value_or(SamplePath(config->templates_dir, *id));
  std::vector<ConfigError> data_errors;
  Result<TemplateSamples> samples = ReadSamples(data_path, &data_errors);
  if (samples.status().IsNotFound()) {
    if (args.Get("data")) {
      std::fprintf(stderr, "herald preview: %s does not exist\n", data_path.c_str());
    } else {
      std::fprintf(stderr,
                   "herald preview: template '%s' has no sample data (%s); give a case with "
                   "--data FILE.json\n",
                   id->c_str(), data_path.c_str());
    }
    return 1;
  }
  if (!samples.ok()) {
    for (const ConfigError& e : data_errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    if (data_errors.empty()) std::fprintf(stderr, "%s\n", samples.status().message().c_str());
    return 1;
  }
  const size_t count = samples->samples.size();
  if (sample_number > count) {
    std::fprintf(stderr, "herald preview: --sample %zu, but %s holds %zu sample(s)\n",
                 sample_number, data_path.c_str(), count);
    return 1;
  }
  std::printf("data      %s", data_path.c_str());
  if (count > 1) std::printf(" (sample %zu of %zu)", sample_number, count);
  std::printf("\n");
  RenderInput in = SampleRenderInput(samples->samples[sample_number - 1], *locale, sender,
                                     BrandingFor(config->agency));
  if (sender.campaign != nullptr) {
    std::printf("campaign  %s, rule %s\n", sender.campaign->id.c_str(), sender.rule->id.c_str());
  } else {
    std::printf("campaign  none sends this template\n");
  }
  // The clock the time helpers use, as RenderInput documents it.
  if (!in.timezone.empty() && IsKnownTimezone(in.timezone)) {
    std::printf("clock     %s (the recipient's time zone)\n", in.timezone.c_str());
  } else if (sender.campaign != nullptr) {
    std::printf("clock     %s (the campaign's time zone)\n", in.default_timezone.c_str());
  } else {
    std::printf("clock     UTC\n");
  }
  std::printf("\n");

  int exit_code = 0;
  if (want_email) {
    // As TemplateComposer: the unsubscribe link in the footer, List-Unsubscribe when https.
    const std::string message_id = "preview";
    in.unsubscribe_url = config->public_url + "/u/" + message_id;
    Result<RenderedEmail> email = RenderEmail(*t, in);
    if (!email.ok()) {
      std::fprintf(stderr, "herald preview: %s\n", email.status().message().c_str());
      exit_code = 1;
    } else {
      std::printf("Subject: %s\n\n", email->subject.c_str());
      PrintBlock("plain text", email->text);
      std::printf("\n");
      const std::string out_path = out_arg.value_or("./" + *id + "." + *locale + ".html");
      std::string bytes = email->html;
      if (out_path.ends_with(".eml")) {
        MimeMessageSpec spec;
        spec.from.address = config->email.from_address;
        spec.from.display_name =
            config->email.from_name.empty() ? config->agency.name : config->email.from_name;
        spec.to.address = "recipient@example.org";
        if (!config->email.reply_to.empty())
          spec.reply_to = MailAddress{config->email.reply_to, ""};
        spec.subject = email->subject;
        spec.text = email->text;
        spec.html = email->html;
        spec.date = SystemClock().NowMicros();
        spec.message_id = message_id;
        if (config->public_url.rfind("https://", 0) == 0) spec.unsubscribe_url = in.unsubscribe_url;
        spec.extra_headers.push_back({"Content-Language", t->locale});
        Result<std::string> mime = BuildMimeMessage(spec);
        if (!mime.ok()) {
          std::fprintf(stderr, "herald preview: the email cannot be built: %s\n",
                       mime.status().message().c_str());
          return 1;
        }
        bytes = std::move(mime).value();
      }
      if (!WriteFile(out_path, bytes)) {
        std::fprintf(stderr, "herald preview: cannot write %s\n", out_path.c_str());
        return 1;
      }
      std::printf("wrote %s\n", out_path.c_str());
    }
  }
  if (want_sms) {
    Result<RenderedSms> sms = RenderSms(*t, in);
    if (!sms.ok()) {
      std::fprintf(stderr, "herald preview: %s\n", sms.status().message().c_str());
      exit_code = 1;
    } else {
      if (want_email) std::printf("\n");
      const SmsInfo& info = sms->info;
      PrintBlock("SMS: encoding " + info.encoding + ", " + std::to_string(info.segments) +
                     (info.segments == 1 ? " segment" : " segments") + " (" +
                     std::to_string(info.units) + " units)",
                 sms->text);
      if (sender.campaign != nullptr && sender.campaign->max_segments &&
          info.segments > *sender.campaign->max_segments) {
        std::fprintf(stderr,
                     "herald preview: the SMS is %d segments, over max_segments %d of campaign "
                     "%s: serve would fail this message\n",
                     info.segments, *sender.campaign->max_segments, sender.campaign->id.c_str());
        exit_code = 1;
      }
    }
  }
  std::fflush(stdout);
  return exit_code;
}

}  // namespace herald::cli
