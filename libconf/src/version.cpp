#include "conf/version.hpp"

namespace conf {
std::string_view version() noexcept {
    return CONF_VERSION_STRING;
}
} // namespace conf
