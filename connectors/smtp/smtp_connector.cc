#include "connectors/smtp/smtp_connector.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "connectors/smtp/smtp_reply.h"
#include "engine/core/validate.h"

namespace herald {
namespace {

// One message going through a handle: the bytes to upload and the dialogue so far.
struct Transfer {
  std::string_view payload;
  size_t offset = 0;
  SmtpTranscript transcript;
};

size_t ReadPayload(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = std::min(size * count, t->payload.size() - t->offset);
  std::memcpy(buffer, t->payload.data() + t->offset, n);
  t->offset += n;
  return n;
}

// Feeds curl's view of the dialogue to the transcript, line by line. Command lines may
// carry addresses or AUTH credentials: the transcript keeps only their verb.
int OnCurlDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view text(data, size);
  const auto each_line = [&](auto&& fn) {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      end = end == std::string_view::npos ? text.size() : end + 1;
      fn(text.substr(start, end - start));
      start = end;
    }
  };
  switch (type) {
    case CURLINFO_HEADER_OUT:
      each_line([&](std::string_view line) { t->transcript.OnCommand(line); });
      break;
    case CURLINFO_HEADER_IN:
      each_line([&](std::string_view line) { t->transcript.OnReplyLine(line); });
      break;
    case CURLINFO_DATA_OUT:
      t->transcript.OnBodyData();
      break;
    default:
      break;
  }
  return 0;
}

// The Message-ID header's value without <>, or empty.
std::string MessageIdOf(std::string_view mime) {
  size_t pos = 0;
  while (pos < mime.size()) {
    size_t end = mime.find('\n', pos);
    if (end == std::string_view::npos) end = mime.size();
    std::string_view line = mime.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header block
    if (line.size() > 11 &&
        std::equal(line.begin(), line.begin() + 11, "message-id:", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      std::string value(line.substr(11));
      // A folded value continues on lines that start with whitespace.
      for (size_t next = end + 1;
           next < mime.size() && (mime[next] == ' ' || mime[next] == '\t');) {
        size_t next_end = mime.find('\n', next);
        if (next_end == std::string_view::npos) next_end = mime.size();
        value += mime.substr(next, next_end - next);
        next = next_end + 1;
      }
      std::erase_if(value, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
      if (value.size() >= 2 && value.front() == '<' && value.back() == '>') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
    pos = end + 1;
  }
  return {};
}

class SmtpConnector final : public Connector {
 public:
  SmtpConnector(std::string name, SmtpOptions options)
      : name_(std::move(name)),
        options_(std::move(options)),
        url_(options_.url + "/" + options_.helo) {}

  ~SmtpConnector() override {
    for (CURL* handle : all_) curl_easy_cleanup(handle);
  }

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return "smtp"; }
  std::vector<Channel> channels() const override { return {Channel::kEmail}; }
  int max_concurrency() const override { return options_.concurrency; }

  SendOutcome Send(const OutboundMessage& message) override {
    using Kind = SendOutcome::Kind;
    if (message.channel != Channel::kEmail) {
      return SendOutcome::Failure(Kind::kPermanent, "", "the smtp connector only carries email");
    }
    if (!IsValidEmail(message.to)) {
      return SendOutcome::Failure(Kind::kPermanent, "",
                                  "the recipient is not a valid email address");
    }
    const std::string& sender =
        message.envelope_from.empty() ? options_.from : message.envelope_from;
    if (!IsValidEmail(sender)) {
      return SendOutcome::Failure(Kind::kPermanent, "",
                                  "the envelope sender is not a valid address");
    }
    if (message.mime.empty()) {
      return SendOutcome::Failure(Kind::kPermanent, "", "an email message without MIME content");
    }
    const std::string payload = PrepareSmtpPayload(message.mime);
    const std::string mail_from = "<" + sender + ">";
    curl_slist* recipients = curl_slist_append(nullptr, ("<" + message.to + ">").c_str());
    if (recipients == nullptr) return SendOutcome::Failure(Kind::kTemporary, "", "out of memory");

    Transfer transfer;
    transfer.payload = payload;
    char error[CURL_ERROR_SIZE] = {0};
    CURL* handle = Checkout();
    CURLcode rc = handle == nullptr ? CURLE_FAILED_INIT : CURLE_OK;
    if (handle != nullptr) {
      curl_easy_setopt(handle, CURLOPT_MAIL_FROM, mail_from.c_str());
      curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients);
      curl_easy_setopt(handle, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(handle, CURLOPT_DEBUGDATA, &transfer);
      curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(payload.size()));
      curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
      rc = curl_easy_perform(handle);
      // Nothing of this message may outlive the call in the pooled handle.
      curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, static_cast<curl_slist*>(nullptr));
      curl_easy_setopt(handle, CURLOPT_READDATA, static_cast<void*>(nullptr));
      curl_easy_setopt(handle, CURLOPT_DEBUGDATA, static_cast<void*>(nullptr));
      curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));
      if (rc == CURLE_OK) {
        Return(handle);
      } else {
        Discard(handle);
      }
    }
    curl_slist_free_all(recipients);

    if (rc == CURLE_OK) {
      std::string id;
      if (transfer.transcript.stage() == SmtpStage::kEndOfData) {
        id = QueueIdFromReply(transfer.transcript.text());
      }
      if (id.empty()) id = MessageIdOf(message.mime);
      if (id.empty()) id = message.id;
      return SendOutcome::Accepted(std::move(id));
    }
    return ClassifySmtpFailure(transfer.transcript, error[0] ? error : curl_easy_strerror(rc));
  }

 private:
  // A handle for one Send: an idle one (its connection still open), a new one while
  // fewer than `concurrency` exist, or the next one returned. nullptr if curl fails.
  CURL* Checkout() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || all_.size() < size_t(options_.concurrency); });
    if (!idle_.empty()) {
      CURL* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
    CURL* handle = NewHandle();
    if (handle != nullptr) all_.push_back(handle);
    return handle;
  }

  // A handle whose transaction failed is closed, not reused: curl may keep its connection
  // open mid-dialogue (after a timeout waiting for the reply to the data, that reply can
  // still arrive and would then answer the next message's MAIL FROM).
  void Discard(CURL* handle) {
    {
      std::lock_guard lock(mu_);
      all_.erase(std::find(all_.begin(), all_.end(), handle));
    }
    // Cleanup would say QUIT on a live connection and wait for the answer, which a server
    // that stopped answering never gives: shut the socket first so the QUIT fails at once.
    curl_socket_t socket = CURL_SOCKET_BAD;
    if (curl_easy_getinfo(handle, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK &&
        socket != CURL_SOCKET_BAD) {
      ::shutdown(socket, SHUT_RDWR);
    }
    curl_easy_setopt(handle, CURLOPT_VERBOSE, 0L);  // no debug callback without a Transfer
    curl_easy_cleanup(handle);
    cv_.notify_one();
  }

  void Return(CURL* handle) {
    {
      std::lock_guard lock(mu_);
      idle_.push_back(handle);
    }
    cv_.notify_one();
  }

  // A handle with everything that does not change between messages.
  CURL* NewHandle() const {
    CURL* h = curl_easy_init();
    if (h == nullptr) return nullptr;
    curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &ReadPayload);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);  // feeds OnCurlDebug; nothing is printed
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &OnCurlDebug);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout_seconds));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.timeout_seconds));
    // Also bounds the QUIT when the pool is torn down (curl's default wait is 120 s).
    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                     static_cast<long>(options_.timeout_seconds));
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 1L);  // one connection per handle
    long use_ssl = CURLUSESSL_TRY;
    if (options_.implicit_tls || options_.starttls == SmtpOptions::StartTls::kRequired) {
      use_ssl = CURLUSESSL_ALL;
    } else if (options_.starttls == SmtpOptions::StartTls::kNone) {
      use_ssl = CURLUSESSL_NONE;
    }
    curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.tls_verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.tls_verify ? 2L : 0L);
    if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (!options_.username.empty()) {
      curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str());
    }
    return h;
  }

  const std::string name_;
  const SmtpOptions options_;
  const std::string url_;  // scheme://host:port/helo: curl sends the path with EHLO

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<CURL*> all_;   // every handle made, for the destructor
  std::vector<CURL*> idle_;  // handles not in a Send
};

}  // namespace

std::string PrepareSmtpPayload(std::string_view mime) {
  std::string out;
  out.reserve(mime.size() + mime.size() / 50 + 2);
  for (size_t i = 0; i < mime.size(); ++i) {
    const char c = mime[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < mime.size() && mime[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

Result<std::unique_ptr<Connector>> CreateSmtpConnector(const ConnectorConfig& config,
                                                       const ConnectorEnv& env) {
  Result<SmtpOptions> options =
      ParseSmtpOptions(config, [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      });
  if (!options.ok()) return options.status();
  static std::once_flag curl_init;
  static CURLcode curl_init_rc = CURLE_OK;
  std::call_once(curl_init, [] { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init_rc != CURLE_OK) {
    return Status::Internal(std::string("curl_global_init failed: ") +
                            curl_easy_strerror(curl_init_rc));
  }
  return std::unique_ptr<Connector>(
      std::make_unique<SmtpConnector>(config.name, std::move(options).value()));
}

}  // namespace herald
