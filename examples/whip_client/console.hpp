// What whip-client tells its user: progress on stdout, problems on stderr, one line each,
// prefixed with the UTC wall-clock time in milliseconds so a run can be lined up with a
// server's logs (and a benchmark can read when the offer was POSTed).
#pragma once

#include <string_view>

namespace whip {

void say(std::string_view line);
void complain(std::string_view line);

} // namespace whip
