#include "connectors/smtp/smtp_reply.h"

#include <cctype>

#include "engine/core/redact.h"

namespace herald {
namespace {

std::string_view TrimLineEnd(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string_view SmtpStageName(SmtpStage stage) {
  switch (stage) {
    case SmtpStage::kConnect:
      return "CONNECT";
    case SmtpStage::kHello:
      return "EHLO";
    case SmtpStage::kStartTls:
      return "STARTTLS";
    case SmtpStage::kAuth:
      return "AUTH";
    case SmtpStage::kMail:
      return "MAIL";
    case SmtpStage::kRcpt:
      return "RCPT";
    case SmtpStage::kData:
      return "DATA";
    case SmtpStage::kEndOfData:
      return "END OF DATA";
    case SmtpStage::kOther:
      return "SMTP";
  }
  return "SMTP";
}

void SmtpTranscript::OnCommand(std::string_view line) {
  line = TrimLineEnd(line);
  const std::string verb = Upper(line.substr(0, line.find_first_of(" :")));
  if (verb == "QUIT") {
    // curl closes a failed transaction's connection with QUIT: the failure stays the
    // one to report, not the 221 that follows.
    quitting_ = true;
    return;
  }
  quitting_ = false;
  SmtpStage next = SmtpStage::kOther;
  if (verb == "EHLO" || verb == "HELO") {
    next = SmtpStage::kHello;
  } else if (verb == "STARTTLS") {
    next = SmtpStage::kStartTls;
  } else if (verb == "AUTH") {
    next = SmtpStage::kAuth;
  } else if (verb == "MAIL") {
    next = SmtpStage::kMail;
  } else if (verb == "RCPT") {
    next = SmtpStage::kRcpt;
  } else if (verb == "DATA") {
    next = SmtpStage::kData;
  } else if (stage_ == SmtpStage::kAuth) {
    next = SmtpStage::kAuth;  // a SASL continuation line (base64), not a command
  }
  stage_ = next;
  code_ = 0;
  text_.clear();
  partial_.clear();
}

void SmtpTranscript::OnBodyData() {
  if (stage_ == SmtpStage::kData && code_ == 354) {
    stage_ = SmtpStage::kEndOfData;
    code_ = 0;
    text_.clear();
    partial_.clear();
  }
}

void SmtpTranscript::OnReplyLine(std::string_view line) {
  if (quitting_) return;
  line = TrimLineEnd(line);
  if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
      !std::isdigit(static_cast<unsigned char>(line[1])) ||
      !std::isdigit(static_cast<unsigned char>(line[2]))) {
    return;  // not a reply line
  }
  const std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  if (!partial_.empty() && !text.empty()) partial_ += ' ';
  partial_ += text;
  if (line.size() > 3 && line[3] == '-') return;  // more lines follow
  code_ = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  text_ = std::move(partial_);
  partial_.clear();
}

std::string QueueIdFromReply(std::string_view text) {
  const std::string upper = Upper(text);
  const size_t at = upper.find("QUEUED AS");
  if (at == std::string::npos) return {};
  size_t start = at + 9;
  while (start < text.size() && (text[start] == ' ' || text[start] == ':' || text[start] == '<')) {
    ++start;
  }
  size_t end = start;
  while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
         text[end] != '>' && text[end] != ',' && text[end] != ';' && text[end] != ')') {
    ++end;
  }
  std::string_view id = text.substr(start, end - start);
  while (!id.empty() && (id.back() == '.' || id.back() == ':')) id.remove_suffix(1);
  if (id.size() > 200) return {};
  return std::string(id);
}

std::string CleanReplyText(std::string_view text) {
  std::string printable;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    printable += (u < 0x20 || u == 0x7F) ? ' ' : c;
  }
  std::string out = RedactPersonalData(printable);
  if (out.size() > 200) {
    size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

SendOutcome ClassifySmtpFailure(const SmtpTranscript& transcript,
                                std::string_view transport_error) {
  const int code = transcript.code();
  const std::string stage(SmtpStageName(transcript.stage()));
  if (code >= 400 && code < 600) {
    std::string reason = stage + ": " + std::to_string(code);
    if (!transcript.text().empty()) reason += " " + CleanReplyText(transcript.text());
    // 530 is "authentication required" (RFC 4954): our settings, whatever the stage.
    bool permanent = false;
    if (code >= 500 && code != 530) {
      switch (transcript.stage()) {
        case SmtpStage::kMail:
        case SmtpStage::kRcpt:
        case SmtpStage::kData:
        case SmtpStage::kEndOfData:
          permanent = true;
          break;
        default:
          break;  // greeting, EHLO, STARTTLS, AUTH: the server or our settings
      }
    }
    return SendOutcome::Failure(
        permanent ? SendOutcome::Kind::kPermanent : SendOutcome::Kind::kTemporary,
        std::to_string(code), std::move(reason));
  }
  return SendOutcome::Failure(SendOutcome::Kind::kTemporary, "",
                              stage + ": " + CleanReplyText(transport_error));
}

}  // namespace herald
