// Test helpers for MIME messages: header lookup and unfolding, an independent RFC 2047
// decoder, and a strict parse by Python's email package (policy.strict).
#pragma once

#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/cli/subprocess.h"
#include "tests/test_util.h"

namespace herald::testing {

// The header block of a message (up to the first empty line), or all of it.
inline std::string_view HeaderBlock(std::string_view message) {
  const size_t end = message.find("\r\n\r\n");
  return end == std::string_view::npos ? message : message.substr(0, end + 2);
}

// Every physical line of `text` split at CRLF (the last, unterminated piece included
// when not empty).
inline std::vector<std::string> SplitCrlf(std::string_view text) {
  std::vector<std::string> lines;
  size_t i = 0;
  while (i < text.size()) {
    const size_t eol = text.find("\r\n", i);
    if (eol == std::string_view::npos) {
      lines.emplace_back(text.substr(i));
      break;
    }
    lines.emplace_back(text.substr(i, eol - i));
    i = eol + 2;
  }
  return lines;
}

// The raw value of the first header called `name` (case-sensitive), unfolded (CRLF
// before whitespace removed), without the leading space; nullopt when absent.
inline std::optional<std::string> RawHeader(std::string_view message, std::string_view name) {
  const std::vector<std::string> lines = SplitCrlf(HeaderBlock(message));
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.size() <= name.size() || line.compare(0, name.size(), name) != 0 ||
        line[name.size()] != ':') {
      continue;
    }
    std::string value = line.substr(name.size() + 1);
    for (size_t k = i + 1;
         k < lines.size() && !lines[k].empty() && (lines[k][0] == ' ' || lines[k][0] == '\t');
         ++k) {
      value += lines[k];
    }
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    return value;
  }
  return std::nullopt;
}

inline std::string Base64Decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  unsigned buffer = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) continue;  // '=' padding
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

// Decodes RFC 2047 "B" and "Q" UTF-8 encoded-words in an unfolded header value;
// whitespace between two adjacent encoded-words is dropped, as RFC 2047 6.2 says.
inline std::string DecodeRfc2047(std::string_view value) {
  std::string out;
  size_t i = 0;
  bool last_was_word = false;
  std::string pending_space;
  while (i < value.size()) {
    if (value.compare(i, 2, "=?") == 0) {
      const size_t q1 = value.find('?', i + 2);
      const size_t q2 = q1 == std::string_view::npos ? q1 : value.find('?', q1 + 1);
      const size_t end = q2 == std::string_view::npos ? q2 : value.find("?=", q2 + 1);
      if (end != std::string_view::npos) {
        const char enc = value[q1 + 1];
        const std::string_view payload = value.substr(q2 + 1, end - q2 - 1);
        std::string decoded;
        if (enc == 'B' || enc == 'b') {
          decoded = Base64Decode(payload);
        } else {
          for (size_t k = 0; k < payload.size(); ++k) {
            if (payload[k] == '_') {
              decoded += ' ';
            } else if (payload[k] == '=' && k + 2 < payload.size()) {
              decoded +=
                  static_cast<char>(std::stoi(std::string(payload.substr(k + 1, 2)), nullptr, 16));
              k += 2;
            } else {
              decoded += payload[k];
            }
          }
        }
        if (!last_was_word) out += pending_space;
        pending_space.clear();
        out += decoded;
        last_was_word = true;
        i = end + 2;
        continue;
      }
    }
    if (value[i] == ' ' || value[i] == '\t') {
      pending_space += value[i];
      ++i;
      continue;
    }
    out += pending_space;
    pending_space.clear();
    out += value[i];
    last_was_word = false;
    ++i;
  }
  return out + pending_space;
}

// Parses `message` with Python's email.parser.BytesParser(policy=email.policy.strict),
// reading every header and part (strict raises on any defect). Returns the JSON the
// script prints: {"error"?, "defects": [...], "headers": {lower-name: [str...]},
// "content_type", "parts": [{"type", "charset", "cte", "content"}], "from": [[name,
// addr]...], "to": [...], "reply_to": [...]}.
inline nlohmann::json StrictParse(const std::string& message) {
  static constexpr const char* kScript = R"py(
import json, sys
from email import policy
from email.parser import BytesParser
out = {"defects": []}
try:
    raw = open(sys.argv[1], "rb").read()
    msg = BytesParser(policy=policy.strict).parsebytes(raw)
    out["defects"] += [repr(d) for d in msg.defects]
    headers = {}
    for name in msg.keys():
        for value in msg.get_all(name):
            out["defects"] += [repr(d) for d in getattr(value, "defects", [])]
            headers.setdefault(name.lower(), []).append(str(value))
    out["headers"] = headers
    for field in ("from", "to", "reply-to"):
        if msg[field] is not None:
            out[field.replace("-", "_")] = [[a.display_name, a.addr_spec] for a in msg[field].addresses]
    out["content_type"] = msg.get_content_type()
    parts = []
    for part in msg.walk():
        out["defects"] += [repr(d) for d in part.defects]
        if part.is_multipart():
            continue
        parts.append({"type": part.get_content_type(), "charset": part.get_content_charset(),
                      "cte": part.get("content-transfer-encoding", ""),
                      "content": part.get_content()})
    out["parts"] = parts
except Exception as e:
    out["error"] = repr(e)
print(json.dumps(out))
)py";
  TempDir dir;
  const std::string path = dir.Sub("message.eml");
  {
    std::ofstream f(path, std::ios::binary);
    f << message;
  }
  const RunResult r = Run({"/usr/bin/python3", "-c", kScript, path}, dir.str());
  if (r.exit_code != 0) return {{"error", "python3 failed: " + r.err}};
  return nlohmann::json::parse(r.out, nullptr, false);
}

}  // namespace herald::testing
