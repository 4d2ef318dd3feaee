#include "conf/status.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <string_view>

using conf::Result;
using conf::Status;
using conf::StatusCode;

TEST_CASE("Status carries code and message and formats both", "[status]") {
    Status ok = Status::ok();
    CHECK(ok.is_ok());
    CHECK(ok.to_string() == "ok");

    Status missing = conf::not_found("no room 'a'");
    CHECK_FALSE(missing.is_ok());
    CHECK(missing.code() == StatusCode::kNotFound);
    CHECK(missing.to_string() == "not_found: no room 'a'");
    CHECK(missing.with_context("joining").to_string() == "not_found: joining: no room 'a'");
    CHECK(ok.with_context("joining").is_ok());
}

TEST_CASE("every StatusCode has a distinct name", "[status]") {
    std::set<std::string_view> names;
    for (int c = 0; c <= static_cast<int>(StatusCode::kUnauthenticated); ++c) {
        auto name = conf::to_string(static_cast<StatusCode>(c));
        CHECK(name != "unknown");
        names.insert(name);
    }
    CHECK(names.size() == static_cast<size_t>(StatusCode::kUnauthenticated) + 1);
}

TEST_CASE("Result holds a value or an error, never both", "[status]") {
    Result<int> value = 42;
    REQUIRE(value.is_ok());
    CHECK(*value == 42);
    CHECK(value.status().is_ok());

    Result<int> error = conf::invalid_argument("bad");
    REQUIRE_FALSE(error.is_ok());
    CHECK(error.status().code() == StatusCode::kInvalidArgument);
    CHECK(error.value_or(7) == 7);

    Result<std::unique_ptr<int>> move_only = std::make_unique<int>(5);
    std::unique_ptr<int> taken = std::move(move_only).value();
    CHECK(*taken == 5);
}
