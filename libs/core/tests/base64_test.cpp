// Base64 for gRPC-Web text mode: whole strings, and the stream decoder over arbitrary chunk
// boundaries with padding in the middle of the stream.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "edfleet/core/base64.h"

using namespace edfleet::core;

namespace {

// Decodes `text` fed in chunks of `chunk` characters.
std::string stream_decode(const std::string& text, std::size_t chunk) {
  Base64StreamDecoder decoder;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += chunk) {
    auto fed = decoder.feed(std::string_view(text).substr(i, chunk), out);
    REQUIRE(fed.ok());
  }
  REQUIRE(decoder.finish(out).ok());
  return out;
}

std::string bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

}  // namespace

TEST_CASE("base64 encodes with the standard alphabet and padding (RFC 4648 test vectors)") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode(std::string("\xfb\xff", 2)) == "+/8=");
  CHECK(base64url_encode(std::string("\xfb\xff", 2)) == "-_8");
}

TEST_CASE("base64 decodes whole strings, padded or not, and refuses garbage") {
  CHECK(base64_decode("Zm9vYmFy") == "foobar");
  CHECK(base64_decode("Zm9vYg==") == "foob");
  CHECK(base64_decode("Zm9vYg") == "foob");
  CHECK(base64url_decode("-_8") == std::string("\xfb\xff", 2));
  CHECK_FALSE(base64_decode("Zm9v!").has_value());
  CHECK_FALSE(base64_decode("Z").has_value());
  CHECK_FALSE(base64url_decode("+/8").has_value());
}

TEST_CASE("the stream decoder gives the same bytes whatever the chunk boundaries") {
  for (std::size_t size : {0u, 1u, 2u, 3u, 4u, 5u, 100u, 1000u}) {
    const std::string data = bytes(size, static_cast<unsigned>(size));
    const std::string text = base64_encode(data);
    for (std::size_t chunk : {1u, 2u, 3u, 4u, 5u, 7u, 64u, 4096u}) {
      INFO("size " << size << ", chunk " << chunk);
      CHECK(stream_decode(text, chunk) == data);
    }
  }
}

TEST_CASE("padding may end any quantum: concatenated padded strings decode as one stream") {
  // What a gRPC-Web server sends when it base64-encodes each flush on its own.
  const std::string a = bytes(7, 1), b = bytes(5, 2), c = bytes(1, 3), d = bytes(9, 4);
  const std::string text = base64_encode(a) + base64_encode(b) + base64_encode(c) + base64_encode(d);
  REQUIRE(text.find('=') < text.size() - 4);  // padding really is mid-stream
  for (std::size_t chunk = 1; chunk <= text.size(); ++chunk) {
    INFO("chunk " << chunk);
    CHECK(stream_decode(text, chunk) == a + b + c + d);
  }
}

TEST_CASE("the stream decoder accepts an unpadded final quantum") {
  CHECK(stream_decode("Zm9vYg", 1) == "foob");
  CHECK(stream_decode("Zm9vYmE", 3) == "fooba");
}

TEST_CASE("the stream decoder reports malformed input with its offset, and stays failed") {
  std::string out;
  SECTION("a character outside the alphabet") {
    Base64StreamDecoder decoder;
    auto r = decoder.feed("Zm9v*mFy", out);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == edfleet::core::ErrorCode::kInvalidArgument);
    CHECK_THAT(r.error().message, Catch::Contains("offset 4"));
    CHECK_FALSE(decoder.feed("Zm9v", out).ok());
  }
  SECTION("URL-safe characters are not the standard alphabet") {
    Base64StreamDecoder decoder;
    CHECK_FALSE(decoder.feed("-_8=", out).ok());
  }
  SECTION("padding that starts a quantum") {
    Base64StreamDecoder decoder;
    CHECK_FALSE(decoder.feed("Zm9v=", out).ok());
    Base64StreamDecoder second;
    CHECK_FALSE(second.feed("Z=", out).ok());
  }
  SECTION("data after padding within a quantum") {
    Base64StreamDecoder decoder;
    auto r = decoder.feed("Zm=v", out);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("after padding"));
  }
  SECTION("a stream ending inside a quantum") {
    Base64StreamDecoder one;
    REQUIRE(one.feed("Zm9vY", out).ok());
    CHECK_FALSE(one.finish(out).ok());
    Base64StreamDecoder padded;
    REQUIRE(padded.feed("Zm9vYg=", out).ok());
    CHECK_FALSE(padded.finish(out).ok());
  }
  SECTION("whitespace and line breaks are not base64") {
    Base64StreamDecoder decoder;
    CHECK_FALSE(decoder.feed("Zm9v\r\nYmFy", out).ok());
  }
}
