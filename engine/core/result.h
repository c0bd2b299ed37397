// Result<T>: a value or the Status saying why there is none.
//
// Use it as the return type of fallible functions that produce a value:
//   Result<Config> r = LoadConfig(path);
//   if (!r.ok()) return r.status();
//   Config cfg = std::move(r).value();
// Calling value() on a failed Result is a bug (asserts in debug builds).
#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "engine/core/status.h"

namespace herald {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result built from a Status must carry an error");
    if (status_.ok()) status_ = Status::Internal("Result built from an OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace herald
