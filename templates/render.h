// Rendering a message template into an email (subject, HTML, plain text) or an SMS.
//
// What a template can use (variables, sections, helpers) and how each part escapes case
// values: docs/templates.md. In short:
// - the email body is Markdown: values are Markdown-escaped, converted with CommonMark
//   (raw HTML from the template is dropped), placed in the built-in layout
//   (email_layout.h) where cmark and the layout HTML-escape everything; the plain-text
//   part is the rendered Markdown source with values as they are (control characters
//   removed) plus a footer;
// - the subject and the SMS are plain text: values lose their control characters (line
//   breaks become spaces), so no CR or LF from data can reach a mail header;
// - a variable the data lacks (outside a false section) is an error naming it, never an
//   empty string; so is a helper given something that is not a timestamp or a number.
//
// Thread-safe: any number of threads may render the same MessageTemplate at once. Each
// thread keeps its own ICU formatters (locale_format.h), so rendering allocates little
// after a thread's first messages. Nothing here reads the clock or logs; error messages
// name template ids, parts and variable names, never values or addresses.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "templates/branding.h"
#include "templates/message_template.h"
#include "templates/sms.h"

namespace herald {

struct RenderInput {
  // The root the template reads: a JSON object. Build it with BuildTemplateData
  // (template_data.h): the case state's fields at the top level, plus `case`, `event`,
  // `recipient` (without contact addresses), `campaign`, `rule` and `message`.
  nlohmann::json data = nlohmann::json::object();
  // The recipient's locale (BCP 47). Used for the HTML lang attribute and for formatting
  // dates and numbers when it is the template's locale or a more specific form of it
  // (es-MX for es.md: Mexican number formats); otherwise, and when empty, the template's
  // own locale is used, so the formats always match the language of the text.
  std::string locale;
  // The recipient's time zone (IANA id) for the time helpers; when empty or unknown,
  // `default_timezone` (the campaign's); when that is empty or unknown too, UTC.
  std::string timezone;
  std::string default_timezone;
  // Reserved for relative-time helpers; rendering never reads the wall clock.
  Micros now = 0;
  Branding branding;  // email only; checked with ValidateBranding
  // Email only: the footer shows an unsubscribe link to it (not rewritten). Empty: none.
  std::string unsubscribe_url;
  // Applied to every http(s) link: the body's Markdown links (href) and the branding help
  // link in the HTML, every URL in the plain-text part and in the SMS text. Empty: links
  // are left as they are. Called on the rendering thread.
  std::function<std::string(std::string_view url)> rewrite_link;
};

struct RenderedEmail {
  std::string subject;  // one line, no control characters, trimmed, not empty
  std::string html;     // a complete document: <!DOCTYPE html><html lang=".." dir="ltr|rtl">
  std::string text;     // the plain-text alternative
};

struct RenderedSms {
  // Trimmed, not empty; line breaks only where the template wrote them; no-break spaces
  // (U+00A0, U+202F: ICU writes "10:30\u202fAM") are plain spaces, so a time does not
  // make an English SMS UCS-2.
  std::string text;
  SmsInfo info;  // CountSms(text)
};

// Errors, all InvalidArgument with one message naming the template, e.g.
//   template 'documents-reminder' (es): subject: missing variable 'due_date'; body: missing
//   variables 'due_date', 'office'
// - missing variables, per part; a variable that is a list or an object;
// - a helper whose value does not parse ("body: {{#date}}: the value of 'interview_at' is
//   not a timestamp (RFC 3339, ...)"), or plural forms that are not valid;
// - `data` not an object; a subject or SMS that renders empty;
// - (email) a Branding that ValidateBranding rejects.
Result<RenderedEmail> RenderEmail(const MessageTemplate& t, const RenderInput& in);
Result<RenderedSms> RenderSms(const MessageTemplate& t, const RenderInput& in);

}  // namespace herald
