#include "transport/upstream_call.h"

namespace edfleet::gateway {
namespace {

std::string to_string(const ::grpc::ByteBuffer& buffer) {
  std::vector<::grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const auto& slice : slices) out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

MetadataList copy(const std::multimap<::grpc::string_ref, ::grpc::string_ref>& metadata) {
  MetadataList out;
  out.reserve(metadata.size());
  for (const auto& [key, value] : metadata) out.emplace_back(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  return out;
}

}  // namespace

void UpstreamCall::start(::grpc::GenericStub& stub, const std::string& method, std::vector<std::string> requests) {
  requests_.reserve(requests.size());
  for (auto& request : requests) {
    ::grpc::Slice slice(request);
    requests_.emplace_back(&slice, 1);
  }
  method_ = method;
  self_ = shared_from_this();
  stub.PrepareBidiStreamingCall(&context_, method_, ::grpc::StubOptions(), this);
  // Reads may be resumed later from the HTTP thread (outside a reaction); the hold keeps OnDone from
  // running until reading is over, so such a StartRead never races the end of the call.
  AddHold();
  StartRead(&read_buffer_);
  write_next();
  StartCall();
}

void UpstreamCall::write_next() {
  if (requests_.empty()) {
    StartWritesDone();
    return;
  }
  const std::size_t index = next_request_++;
  if (index + 1 == requests_.size()) {
    StartWriteLast(&requests_[index], ::grpc::WriteOptions());
  } else {
    StartWrite(&requests_[index]);
  }
}

void UpstreamCall::OnWriteDone(bool ok) {
  // A failed write means the call is over; OnDone reports why.
  if (ok && next_request_ < requests_.size()) write_next();
}

void UpstreamCall::OnReadInitialMetadataDone(bool ok) {
  std::lock_guard lock(mutex_);
  if (ok) initial_metadata_ = copy(context_.GetServerInitialMetadata());
  headers_ = true;
  changed_.notify_all();
}

void UpstreamCall::OnReadDone(bool ok) {
  std::unique_lock lock(mutex_);
  if (!ok) {
    reading_over_ = true;
    changed_.notify_all();
    lock.unlock();
    RemoveHold();
    return;
  }
  messages_.push_back(to_string(read_buffer_));
  changed_.notify_all();
  if (messages_.size() >= max_buffered_) {
    reading_paused_ = true;
    return;
  }
  lock.unlock();
  StartRead(&read_buffer_);
}

void UpstreamCall::OnDone(const ::grpc::Status& status) {
  std::shared_ptr<UpstreamCall> keep;
  {
    std::lock_guard lock(mutex_);
    status_ = status;
    trailers_ = copy(context_.GetServerTrailingMetadata());
    done_ = true;
    headers_ = true;
    keep = std::move(self_);
    changed_.notify_all();
    ended_.notify_all();
  }
  // `keep` may be the last reference: this object ends here, after the lock is released.
}

bool UpstreamCall::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return !messages_.empty() || done_; });
}

bool UpstreamCall::wait_done(std::chrono::microseconds timeout) {
  std::unique_lock lock(mutex_);
  return ended_.wait_for(lock, timeout, [this] { return done_; });
}

bool UpstreamCall::wait_for_headers(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return headers_ || done_; });
}

bool UpstreamCall::has_message() {
  std::lock_guard lock(mutex_);
  return !messages_.empty();
}

bool UpstreamCall::done() {
  std::lock_guard lock(mutex_);
  return done_;
}

MetadataList UpstreamCall::initial_metadata() {
  std::lock_guard lock(mutex_);
  return initial_metadata_;
}

UpstreamCall::Batch UpstreamCall::take() {
  Batch batch;
  bool resume = false;
  {
    std::lock_guard lock(mutex_);
    batch.messages.reserve(messages_.size());
    while (!messages_.empty()) {
      batch.messages.push_back(std::move(messages_.front()));
      messages_.pop_front();
    }
    batch.done = done_ && messages_.empty();
    if (batch.done) {
      batch.status = status_;
      batch.trailers = trailers_;
    }
    if (reading_paused_ && !reading_over_) {
      reading_paused_ = false;
      resume = true;
    }
  }
  // Safe outside a reaction: the hold is still in place (reading is not over).
  if (resume) StartRead(&read_buffer_);
  return batch;
}

void UpstreamCall::cancel() {
  context_.TryCancel();
  bool release = false;
  {
    std::lock_guard lock(mutex_);
    // With a read outstanding, its OnReadDone(false) releases the hold; with reading paused, nothing
    // would, so release it here.
    if (reading_paused_ && !reading_over_) {
      reading_paused_ = false;
      reading_over_ = true;
      release = true;
    }
  }
  if (release) RemoveHold();
}

}  // namespace edfleet::gateway
