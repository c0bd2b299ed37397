// Where a character of a YAML scalar's value sits in the YAML source, so an error found
// inside a value (an expression's syntax error at byte 12 of `when:`) can be reported at
// its exact line and column in the file. Internal to the campaign loader.
#pragma once

#include <cstddef>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace herald {

// The 0-based position in `source` (the whole file, as parsed) of byte `offset` of
// `value`, the decoded text of the scalar yaml-cpp parsed at `scalar_mark`:
// - plain scalars: the mark plus the offset;
// - quoted scalars: the same after the opening quote, counting an escape ('' in single
//   quotes, \" or \u00e9 in double quotes) as the bytes it is written with;
// - a value folded over several lines (plain or quoted) is followed line by line;
// - an offset inside an escape or folded line break points at where that starts; the end
//   of the value (offset == value.size()) is just after its last character;
// - block scalars (| and >), and anything the walk cannot follow (a tag or anchor before
//   the value, a source that does not match), give `scalar_mark` itself.
// Lines and columns are counted as yaml-cpp counts them, in bytes, so they agree with
// every other position in the same report.
YAML::Mark ScalarTextMark(std::string_view source, const YAML::Mark& scalar_mark,
                          std::string_view value, size_t offset);

}  // namespace herald
