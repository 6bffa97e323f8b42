// The gRPC-Web wire format: frames parsed incrementally over any chunk boundaries, limits and flag
// bits, trailer frames, content types, grpc-timeout and method paths.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "edfleet/core/base64.h"
#include "domain/grpc_web.h"

using namespace edfleet::gateway;
namespace core = edfleet::core;
using edfleet::core::ErrorCode;

namespace {

std::string frame(std::uint8_t flags, const std::string& payload) {
  std::string out;
  append_frame(out, flags, payload);
  return out;
}

std::vector<Frame> parse_in_chunks(const std::string& body, std::size_t chunk, std::size_t max = 1 << 20) {
  FrameParser parser(max);
  std::vector<Frame> frames;
  for (std::size_t i = 0; i < body.size(); i += chunk) {
    REQUIRE(parser.feed(std::string_view(body).substr(i, chunk), frames).ok());
  }
  REQUIRE(parser.finish().ok());
  return frames;
}

}  // namespace

TEST_CASE("frames are length-prefixed with a flag byte and a big-endian length") {
  CHECK(frame(0, "abc") == std::string("\x00\x00\x00\x00\x03" "abc", 8));
  CHECK(frame_header(0x80, 0x01020304) == std::string("\x80\x01\x02\x03\x04", 5));
  CHECK(frame(0, "") == std::string(5, '\0'));
}

TEST_CASE("the frame parser yields the same frames whatever the chunk boundaries") {
  const std::string big(70000, 'x');
  const std::string body = frame(0, "hello") + frame(0, "") + frame(0, big) + frame(0, "z");
  for (std::size_t chunk : {1u, 2u, 4u, 5u, 6u, 9u, 1000u, 100000u}) {
    INFO("chunk " << chunk);
    auto frames = parse_in_chunks(body, chunk);
    REQUIRE(frames.size() == 4);
    CHECK(frames[0].payload == "hello");
    CHECK(frames[1].payload.empty());
    CHECK(frames[2].payload == big);
    CHECK(frames[3].payload == "z");
    CHECK_FALSE(frames[0].is_trailer());
  }
}

TEST_CASE("the frame parser enforces the message size limit from the declared length") {
  FrameParser parser(10);
  std::vector<Frame> frames;
  // Only the header: the limit is checked before the payload is buffered.
  auto r = parser.feed(frame_header(0, 11), frames);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kTooLarge);
  CHECK_THAT(r.error().message, Catch::Contains("11 bytes") && Catch::Contains("10 bytes"));
  CHECK_FALSE(parser.feed(frame(0, "a"), frames).ok());  // stays failed
  CHECK_FALSE(parser.finish().ok());

  FrameParser exact(10);
  frames.clear();
  CHECK(exact.feed(frame(0, std::string(10, 'a')), frames).ok());
  CHECK(frames.size() == 1);
}

TEST_CASE("the frame parser refuses compressed, trailer and reserved flags cleanly") {
  std::vector<Frame> frames;
  SECTION("compressed") {
    FrameParser parser(100);
    auto r = parser.feed(frame(0x01, "x"), frames);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kUnimplemented);
  }
  SECTION("a trailer frame in a request") {
    FrameParser parser(100);
    auto r = parser.feed(frame(0, "ok") + frame(0x80, "grpc-status: 0\r\n"), frames);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInternal);
    CHECK_THAT(r.error().message, Catch::Contains("byte 7"));
    CHECK(frames.size() == 1);
  }
  SECTION("reserved bits") {
    FrameParser parser(100);
    auto r = parser.feed(frame(0x40, "x"), frames);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInternal);
    CHECK_THAT(r.error().message, Catch::Contains("0x40"));
  }
}

TEST_CASE("a truncated body is an error at finish") {
  std::vector<Frame> frames;
  FrameParser header_only(100);
  REQUIRE(header_only.feed(std::string("\x00\x00\x00", 3), frames).ok());
  CHECK(header_only.finish().error().code == ErrorCode::kInternal);
  FrameParser short_payload(100);
  REQUIRE(short_payload.feed(frame(0, "hello").substr(0, 7), frames).ok());
  auto r = short_payload.finish();
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("2 of 5"));
  FrameParser empty(100);
  CHECK(empty.finish().ok());
}

TEST_CASE("text mode: base64 decoded chunk by chunk, then framed") {
  // A text-mode body as a client may send it: two frames, each base64-encoded on its own.
  const std::string body = core::base64_encode(frame(0, "first")) + core::base64_encode(frame(0, "second!"));
  for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
    core::Base64StreamDecoder decoder;
    FrameParser parser(100);
    std::vector<Frame> frames;
    for (std::size_t i = 0; i < body.size(); i += chunk) {
      std::string bytes;
      REQUIRE(decoder.feed(std::string_view(body).substr(i, chunk), bytes).ok());
      REQUIRE(parser.feed(bytes, frames).ok());
    }
    std::string rest;
    REQUIRE(decoder.finish(rest).ok());
    REQUIRE(parser.feed(rest, frames).ok());
    REQUIRE(parser.finish().ok());
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].payload == "first");
    CHECK(frames[1].payload == "second!");
  }
}

TEST_CASE("trailer frames carry grpc-status, percent-encoded grpc-message and metadata as CRLF lines") {
  const std::string trailer = encode_trailer_frame(5, "no such learner: ü 100%", {{"X-Custom", "v1"}, {"a-bin", "AAE="}});
  REQUIRE(static_cast<unsigned char>(trailer[0]) == 0x80);
  const std::string block = trailer.substr(5);
  CHECK(trailer.size() == 5 + block.size());
  CHECK(static_cast<std::size_t>(static_cast<unsigned char>(trailer[4])) == block.size());
  CHECK(block == "grpc-status: 5\r\ngrpc-message: no such learner: %C3%BC 100%25\r\nx-custom: v1\r\na-bin: AAE=\r\n");
  auto parsed = parse_header_block(block);
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 4);
  CHECK((*parsed)[1].second == "no such learner: %C3%BC 100%25");
  CHECK(percent_decode_grpc_message((*parsed)[1].second) == "no such learner: ü 100%");
  // OK without a message has no grpc-message line.
  CHECK(encode_trailer_frame(0, "", {}).substr(5) == "grpc-status: 0\r\n");
  CHECK_FALSE(parse_header_block("no colon here\r\n").has_value());
  CHECK(percent_decode_grpc_message("bad %zz %4") == "bad %zz %4");
}

TEST_CASE("content types: binary and text, with or without +proto; other codecs are not proxied") {
  auto binary = parse_web_content_type("application/grpc-web");
  REQUIRE(binary);
  CHECK_FALSE(binary->text);
  CHECK(binary->content_type == "application/grpc-web+proto");
  CHECK(parse_web_content_type("Application/GRPC-Web+proto; charset=utf-8")->content_type ==
        "application/grpc-web+proto");
  auto text = parse_web_content_type("application/grpc-web-text");
  REQUIRE(text);
  CHECK(text->text);
  CHECK(text->content_type == "application/grpc-web-text+proto");
  CHECK(parse_web_content_type("application/grpc-web-text+proto")->text);
  CHECK_FALSE(parse_web_content_type("application/grpc-web+json"));
  CHECK_FALSE(parse_web_content_type("application/grpc"));
  CHECK_FALSE(parse_web_content_type("application/json"));
  CHECK_FALSE(parse_web_content_type(""));
}

TEST_CASE("grpc-timeout values") {
  using namespace std::chrono;
  CHECK(parse_grpc_timeout("1S") == nanoseconds(seconds(1)));
  CHECK(parse_grpc_timeout("250m") == nanoseconds(milliseconds(250)));
  CHECK(parse_grpc_timeout("2H") == nanoseconds(hours(2)));
  CHECK(parse_grpc_timeout("3M") == nanoseconds(minutes(3)));
  CHECK(parse_grpc_timeout("100u") == nanoseconds(microseconds(100)));
  CHECK(parse_grpc_timeout("99999999n") == nanoseconds(99999999));
  CHECK_FALSE(parse_grpc_timeout("123456789S"));  // at most 8 digits
  CHECK_FALSE(parse_grpc_timeout("S"));
  CHECK_FALSE(parse_grpc_timeout("10x"));
  CHECK_FALSE(parse_grpc_timeout("-1S"));
  CHECK_FALSE(parse_grpc_timeout("1.5S"));
}

TEST_CASE("grpc-timeout saturates at kMaxGrpcTimeout instead of overflowing, for every unit") {
  using namespace std::chrono;
  // The ceiling itself is safe to add to the current time (what the proxy does for stream methods,
  // which have no cap).
  CHECK(system_clock::time_point::max() - system_clock::now() > kMaxGrpcTimeout);

  // The smallest and largest values of each unit.
  for (const char* zero : {"0H", "0M", "0S", "0m", "0u", "0n", "00000000H"}) {
    INFO(zero);
    CHECK(parse_grpc_timeout(zero) == nanoseconds(0));
  }
  CHECK(parse_grpc_timeout("99999999H") == kMaxGrpcTimeout);  // 3.6e20 ns: overflows 64 bits
  CHECK(parse_grpc_timeout("99999999M") == kMaxGrpcTimeout);  // 190 years
  CHECK(parse_grpc_timeout("99999999S") == nanoseconds(seconds(99999999)));
  CHECK(parse_grpc_timeout("99999999m") == nanoseconds(milliseconds(99999999)));
  CHECK(parse_grpc_timeout("99999999u") == nanoseconds(microseconds(99999999)));
  CHECK(parse_grpc_timeout("99999999n") == nanoseconds(99999999));

  // Around the ceiling (876000 hours) and around where hours overflow 64-bit nanoseconds.
  CHECK(kMaxGrpcTimeout == hours(876000));
  CHECK(parse_grpc_timeout("875999H") == nanoseconds(hours(875999)));
  CHECK(parse_grpc_timeout("876000H") == kMaxGrpcTimeout);
  CHECK(parse_grpc_timeout("876001H") == kMaxGrpcTimeout);
  CHECK(parse_grpc_timeout("2562047H") == kMaxGrpcTimeout);  // the last count that fits 2^63 ns
  CHECK(parse_grpc_timeout("2562048H") == kMaxGrpcTimeout);  // the first that does not
  CHECK(parse_grpc_timeout("52559999M") == nanoseconds(minutes(52559999)));
  CHECK(parse_grpc_timeout("52560001M") == kMaxGrpcTimeout);
  CHECK(parse_grpc_timeout("153722868M") == std::nullopt);  // 9 digits: malformed, not saturated
}

TEST_CASE("method paths: /package.Service/Method") {
  auto m = parse_method_path("/edfleet.analytics.v1.AnalyticsService/GetEventCounts");
  REQUIRE(m);
  CHECK(m->service == "edfleet.analytics.v1.AnalyticsService");
  CHECK(m->method == "GetEventCounts");
  CHECK(parse_method_path("/grpc.health.v1.Health/Watch"));
  CHECK_FALSE(parse_method_path("/v1/events"));
  CHECK_FALSE(parse_method_path("/Service/Method"));
  CHECK_FALSE(parse_method_path("/a..b/M"));
  CHECK_FALSE(parse_method_path("/a.b/M/extra"));
  CHECK_FALSE(parse_method_path("/a.b/"));
  CHECK_FALSE(parse_method_path("a.b/M"));
  CHECK_FALSE(parse_method_path("/a.b/M-x"));
}
