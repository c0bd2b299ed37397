// Parsers for the config values that are more than a type: paths, listen addresses and
// the public URL. Pure functions on strings, so they can be tested without YAML.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

// Checks that `path` can be used as a path in the config: non-empty and not starting with
// `~` (nothing expands it, and a directory literally named "~" is never what was meant).
bool CheckPath(std::string_view path, std::string* error);

// `path` if absolute, else `base_dir`/`path`; lexically normalised and without a trailing
// separator ("samples/../data/" is "data"). Does not touch the filesystem.
std::string ResolvePath(std::string_view base_dir, std::string_view path);

// Parses HOST:PORT, where HOST is an IPv4 address, a host name or a bracketed IPv6 address
// ([::1]:8080) and PORT is 0 to 65535 (0 picks a free port). `host` is returned without
// brackets. On failure returns false, sets `error`, and leaves `host` and `port` alone.
bool ParseListen(std::string_view text, std::string* host, uint16_t* port, std::string* error);

// Checks an absolute http:// or https:// URL without credentials, query or fragment, and
// normalises it: scheme and host lower-cased, trailing slashes removed, so that callers
// build links as url + "/path". On failure returns false, sets `error`, leaves `url` alone.
bool NormalisePublicUrl(std::string_view text, std::string* url, std::string* error);

}  // namespace herald
