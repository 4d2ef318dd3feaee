// check_json_keys: walks a JSON document against a protobuf message type before the real
// parse, so every problem is reported with its full key path:
//   unknown key "http.lisen" (did you mean "listen"?)
//   media.pipeline_stop_timeout_ms: expected a whole number 0..4294967295, got -1
// protobuf 3.21's own JSON parser reports only the first problem, as "(http) lisen: Cannot
// find field.", which is not a message to show an operator.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>

#include <string>
#include <vector>

namespace conf::daemon {

// One message per problem, in key order; empty when `json` fits `type`. Accepts the keys the
// protobuf JSON parser accepts (field names and their lowerCamelCase JSON names) and treats
// null as "not given".
std::vector<std::string> check_json_keys(const google::protobuf::Value& json,
                                         const google::protobuf::Descriptor& type);

} // namespace conf::daemon
