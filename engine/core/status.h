// Status: the error value that crosses layer boundaries.
//
// A Status is either OK or carries a Code and a human-readable message. Functions
// that can fail return Status (or Result<T>, see result.h); exceptions never cross a
// layer boundary. Status is a small value type: cheap to copy, safe to pass between
// threads by value.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace herald {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // the caller's input is wrong; retrying the same input fails again
    kNotFound,         // the thing asked for does not exist; not an error for lookups
    kConflict,         // the input contradicts what is already stored (idempotency key reuse)
    kUnavailable,      // a transient condition (disk full, read-only, shutting down)
    kIOError,          // storage or network failed
    kCorruption,       // stored data could not be decoded
    kInternal,         // a bug: an invariant did not hold
  };

  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsConflict() const { return code_ == Code::kConflict; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }

  // "InvalidArgument: <message>", or "OK".
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view CodeName(Status::Code code);

}  // namespace herald
