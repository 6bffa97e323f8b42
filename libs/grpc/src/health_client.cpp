#include "edfleet/grpc/health_client.h"

#include <cstdint>
#include <future>
#include <string>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

namespace edfleet::grpc {
namespace {

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

bool get_varint(std::string_view in, std::size_t& pos, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    auto byte = static_cast<std::uint8_t>(in[pos++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// HealthCheckResponse { ServingStatus status = 1; }: find field 1, skip anything else.
bool parse_status(std::string_view in, ServingStatus& out) {
  std::size_t pos = 0;
  out = ServingStatus::kUnknown;  // proto3 default when the field is absent
  while (pos < in.size()) {
    std::uint64_t tag = 0;
    if (!get_varint(in, pos, tag)) return false;
    std::uint64_t field = tag >> 3;
    std::uint64_t wire = tag & 7;
    std::uint64_t value = 0;
    switch (wire) {
      case 0:
        if (!get_varint(in, pos, value)) return false;
        if (field == 1) out = static_cast<ServingStatus>(value);
        break;
      case 1: pos += 8; break;
      case 2:
        if (!get_varint(in, pos, value)) return false;
        pos += value;
        break;
      case 5: pos += 4; break;
      default: return false;
    }
    if (pos > in.size()) return false;
  }
  return true;
}

}  // namespace

HealthCheckResult check_health(const std::shared_ptr<::grpc::Channel>& channel, std::string_view service,
                               std::chrono::milliseconds timeout) {
  // HealthCheckRequest { string service = 1; }
  std::string request_bytes;
  if (!service.empty()) {
    request_bytes.push_back(0x0a);
    put_varint(request_bytes, service.size());
    request_bytes.append(service);
  }
  ::grpc::Slice slice(request_bytes);
  ::grpc::ByteBuffer request(&slice, 1);
  ::grpc::ByteBuffer response;
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);

  ::grpc::GenericStub stub(channel);
  std::promise<::grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", ::grpc::StubOptions(), &request, &response,
                 [&done](::grpc::Status status) { done.set_value(std::move(status)); });
  HealthCheckResult result;
  result.status = done.get_future().get();
  if (!result.status.ok()) return result;

  std::vector<::grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    result.status = ::grpc::Status(::grpc::StatusCode::INTERNAL, "unreadable health response");
    return result;
  }
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (!parse_status(bytes, result.serving)) {
    result.status = ::grpc::Status(::grpc::StatusCode::INTERNAL, "malformed health response");
  }
  return result;
}

}  // namespace edfleet::grpc
