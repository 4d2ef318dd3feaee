// base64url and friends, against RFC 4648's test vectors: the JWT tests build on them.
#include "auth/primitives.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>

using conf::daemon::base64url_decode;
using conf::daemon::base64url_encode;

TEST_CASE("primitives: base64url against RFC 4648 §10", "[auth][primitives]") {
    const std::array<std::pair<std::string_view, std::string_view>, 7> vectors = {{
        {"", ""},
        {"f", "Zg"},
        {"fo", "Zm8"},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"},
        {"fooba", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy"},
    }};
    for (auto [bytes, text] : vectors) {
        CHECK(base64url_encode(bytes) == text);
        CHECK(base64url_decode(text) == std::string(bytes));
    }
    // The URL-safe alphabet: 0xfb 0xff is "+/8=" in standard base64.
    const std::string url_bytes = "\xfb\xff";
    CHECK(base64url_encode(url_bytes) == "-_8");
    CHECK(base64url_decode("-_8") == url_bytes);
}

TEST_CASE("primitives: base64url_decode accepts one spelling only", "[auth][primitives]") {
    CHECK_FALSE(base64url_decode("Zg=="));   // padding
    CHECK_FALSE(base64url_decode("+/8"));    // standard alphabet
    CHECK_FALSE(base64url_decode("Zm9v "));  // whitespace
    CHECK_FALSE(base64url_decode("Zm\n9v")); // whitespace inside
    CHECK_FALSE(base64url_decode("Zm9vY"));  // a length no encoding has
    CHECK_FALSE(base64url_decode("Zh"));     // "f" with a stray low bit
    CHECK_FALSE(base64url_decode("Zm9"));    // "fo" with stray bits
    CHECK_FALSE(base64url_decode("Zm9v.m9v"));
    CHECK_FALSE(base64url_decode(std::string_view("Zm\0v", 4)));
}

TEST_CASE("primitives: sha256, to_hex, trim_whitespace, random_bytes", "[auth][primitives]") {
    CHECK(conf::daemon::to_hex(conf::daemon::sha256("abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(conf::daemon::trim_whitespace(" \t\r\n key \v\f\n") == "key");
    CHECK(conf::daemon::trim_whitespace(" \n ").empty());
    CHECK(conf::daemon::trim_whitespace("a b") == "a b");
    std::array<unsigned char, 32> a{};
    std::array<unsigned char, 32> b{};
    conf::daemon::random_bytes(a);
    conf::daemon::random_bytes(b);
    CHECK(a != b);
}
