#include "connectors/file/file_connector.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "engine/core/sha256.h"

namespace herald {
namespace {

constexpr size_t kMaxStem = 150;  // file names stay well under NAME_MAX (255)

std::string ErrnoText(int err) {
  return std::error_code(err, std::generic_category()).message();
}

// Writes all of `data` to `fd`; false (errno set) on failure.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

class FileConnector final : public Connector {
 public:
  FileConnector(std::string name, std::filesystem::path dir)
      : name_(std::move(name)), dir_(std::move(dir)) {}

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return "file"; }
  std::vector<Channel> channels() const override { return {Channel::kEmail, Channel::kSms}; }
  int max_concurrency() const override { return 8; }

  SendOutcome Send(const OutboundMessage& message) override {
    if (message.id.empty()) {
      return SendOutcome::Failure(SendOutcome::Kind::kPermanent, "", "the message has no id");
    }
    std::string file = FileConnectorStem(message.id);
    std::string content;
    if (message.channel == Channel::kEmail) {
      if (message.mime.empty()) {
        return SendOutcome::Failure(SendOutcome::Kind::kPermanent, "",
                                    "an email message without MIME content");
      }
      file += ".eml";
      content = message.mime;
    } else {
      file += ".json";
      nlohmann::json j = {{"id", message.id},
                          {"channel", ChannelName(message.channel)},
                          {"to", message.to},
                          {"text", message.sms_text}};
      if (!message.status_callback_url.empty()) {
        j["status_callback_url"] = message.status_callback_url;
      }
      j["metadata"] = message.metadata;
      // Replace invalid UTF-8 rather than throw: the file is for people to read.
      content = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    if (std::string error = WriteAtomically(file, content); !error.empty()) {
      return SendOutcome::Failure(SendOutcome::Kind::kTemporary, "", std::move(error));
    }
    return SendOutcome::Accepted(std::move(file));
  }

 private:
  // Writes `content` to dir_/file through a temporary file and a rename. Returns an
  // empty string, or why it failed (no path in it).
  std::string WriteAtomically(const std::string& file, std::string_view content) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return "cannot create the output folder: " + ec.message();
    const std::filesystem::path target = dir_ / file;
    const std::filesystem::path temp = dir_ / ("." + file + "." + std::to_string(::getpid()) + "-" +
                                               std::to_string(counter_.fetch_add(1)) + ".tmp");
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return "cannot write to the output folder: " + ErrnoText(errno);
    const bool written = WriteAll(fd, content) && ::fsync(fd) == 0;
    const int write_errno = errno;
    if (::close(fd) != 0 || !written) {
      ::unlink(temp.c_str());
      return "cannot write the message file: " + ErrnoText(written ? errno : write_errno);
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      const int err = errno;
      ::unlink(temp.c_str());
      return "cannot move the message file into place: " + ErrnoText(err);
    }
    // Make the rename itself durable; a failure here loses nothing already visible.
    const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
    return {};
  }

  const std::string name_;
  const std::filesystem::path dir_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace

std::string FileConnectorStem(std::string_view message_id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string stem;
  for (size_t i = 0; i < message_id.size(); ++i) {
    const auto c = static_cast<unsigned char>(message_id[i]);
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || (c == '.' && i > 0);
    if (keep) {
      stem += static_cast<char>(c);
    } else {
      stem += '%';
      stem += kHex[c >> 4];
      stem += kHex[c & 0x0F];
    }
  }
  if (stem.size() > kMaxStem) {
    // Distinct long ids stay distinct: keep a readable prefix, add a hash of the whole id.
    stem = stem.substr(0, kMaxStem - 33) + "-" + Sha256Hex(message_id).substr(0, 32);
  }
  return stem;
}

Result<std::unique_ptr<Connector>> CreateFileConnector(const ConnectorConfig& config,
                                                       const ConnectorEnv& env) {
  const std::string prefix = "connectors." + config.name + ".";
  std::string errors;
  const auto add = [&](const std::string& field, const std::string& problem) {
    errors += (errors.empty() ? "" : "\n") + prefix + field + ": " + problem;
  };
  std::string path;
  for (const auto& [key, value] : config.options.items()) {
    if (key == "path") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        add("path", "must be a non-empty string (a folder)");
      } else {
        path = value.get<std::string>();
      }
    } else {
      add(key, "unknown option for a file connector (known: path)");
    }
  }
  if (!config.options.contains("path"))
    add("path", "required (the folder messages are written to)");
  if (!errors.empty()) return Status::InvalidArgument(errors);
  return std::unique_ptr<Connector>(
      std::make_unique<FileConnector>(config.name, std::filesystem::path(path)));
}

}  // namespace herald
