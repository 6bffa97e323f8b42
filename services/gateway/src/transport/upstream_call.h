// One call to an upstream, made with gRPC's generic (byte-level) callback API, so the gateway
// forwards any method of any routed service without knowing its messages.
//
// Every call is started as a bidirectional stream: the request messages are written and the
// stream half-closed, then responses are read until the upstream ends the call. On the wire this is
// exactly a unary or server-streaming call, so the gateway need not know which kind a method is.
// Callbacks run on gRPC's threads and queue what arrives; the HTTP worker thread waits for it with
// wait() and drains it with take(). Reading pauses while `max_buffered` messages wait to be sent
// (back-pressure from a slow client), and resumes as take() drains them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>

namespace edfleet::gateway {

using MetadataList = std::vector<std::pair<std::string, std::string>>;

class UpstreamCall final : public ::grpc::ClientBidiReactor<::grpc::ByteBuffer, ::grpc::ByteBuffer>,
                           public std::enable_shared_from_this<UpstreamCall> {
 public:
  explicit UpstreamCall(std::size_t max_buffered = 32) : max_buffered_(max_buffered) {}

  // Set deadline and metadata on it before start().
  ::grpc::ClientContext& context() { return context_; }

  // Starts the call (once). The object keeps itself alive until gRPC has finished with it.
  void start(::grpc::GenericStub& stub, const std::string& method, std::vector<std::string> requests);

  // What has arrived and not been taken yet.
  struct Batch {
    std::vector<std::string> messages;
    bool done = false;            // the call has ended; status and trailers are final
    ::grpc::Status status;
    MetadataList trailers;
  };

  // Waits up to `timeout` for a message or the end of the call; true when there is one.
  bool wait(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the end of the call; true when it has ended.
  bool wait_done(std::chrono::microseconds timeout);
  // Waits up to `timeout` for the response headers (their callback, which may run after the first
  // message's) or the end; true when there is one. initial_metadata() is complete after it.
  bool wait_for_headers(std::chrono::milliseconds timeout);
  // Takes what has arrived (may be empty) and resumes reading if it was paused.
  Batch take();
  bool has_message();
  bool done();
  MetadataList initial_metadata();

  // Cancels the call (client gone, gateway stopping). Safe to call repeatedly and after the end.
  void cancel();

 private:
  void OnReadInitialMetadataDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const ::grpc::Status& status) override;

  void write_next();  // called with the request index set, from start() or OnWriteDone

  ::grpc::ClientContext context_;
  std::string method_;  // gRPC keeps a pointer to the method name for the call's lifetime
  std::size_t max_buffered_;
  std::vector<::grpc::ByteBuffer> requests_;
  std::size_t next_request_ = 0;
  ::grpc::ByteBuffer read_buffer_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::condition_variable ended_;  // only the end of the call: one wake-up for a unary answer
  std::deque<std::string> messages_;
  bool headers_ = false;
  MetadataList initial_metadata_;
  bool reading_paused_ = false;  // no read outstanding, because the queue was full
  bool reading_over_ = false;    // the hold that lets us read from outside reactions is released
  bool done_ = false;
  ::grpc::Status status_;
  MetadataList trailers_;
  std::shared_ptr<UpstreamCall> self_;  // alive until OnDone
};

}  // namespace edfleet::gateway
