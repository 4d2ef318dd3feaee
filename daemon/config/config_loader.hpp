// Config loading: the effective confd::v1::Config is the built-in defaults, merged with a
// config file (JSON or protobuf text format, chosen by extension), merged with command-line
// overrides. Merging is field by field: whatever a later layer sets wins.
#pragma once

#include "confd/v1/config.pb.h"

#include <conf/status.hpp>

#include <filesystem>
#include <optional>
#include <string_view>

namespace conf::daemon {

enum class ConfigFormat { kJson, kTextProto };

// .json → kJson; .textproto or .pbtxt → kTextProto; anything else is an error.
Result<ConfigFormat> config_format_for(const std::filesystem::path& file);

// Parses one config document. Unknown keys and values of the wrong type are errors. On
// failure the message has one line per problem, each starting with `origin` (a file name)
// and naming the key: `confd.json: unknown key "htpp" (did you mean "http"?)`.
Result<::confd::v1::Config> parse_config(std::string_view text, ConfigFormat format,
                                         std::string_view origin);

// defaults < `file` (if given) < `overrides`. Errors as for parse_config(), plus unreadable
// files.
Result<::confd::v1::Config> load_config(const std::optional<std::filesystem::path>& file,
                                        const ::confd::v1::Config& overrides);

} // namespace conf::daemon
