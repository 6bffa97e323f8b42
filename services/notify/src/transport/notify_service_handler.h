// NotifyService over gRPC. Until a later issue delivers notification delivery, every method
// answers UNIMPLEMENTED saying so, so callers get a clear answer, not a guess.
#pragma once

#include "edfleet/notify/v1/notify.grpc.pb.h"

namespace edfleet::notify {

class NotifyServiceHandler final : public v1::NotifyService::Service {
 public:
  ::grpc::Status Send(::grpc::ServerContext* context, const v1::SendRequest* request,
                      v1::Delivery* response) override;
  ::grpc::Status UpsertTemplate(::grpc::ServerContext* context, const v1::Template* request,
                                v1::Template* response) override;
  ::grpc::Status GetPreferences(::grpc::ServerContext* context, const v1::GetPreferencesRequest* request,
                                v1::Preferences* response) override;
  ::grpc::Status SetPreferences(::grpc::ServerContext* context, const v1::Preferences* request,
                                v1::Preferences* response) override;
  ::grpc::Status ListInbox(::grpc::ServerContext* context, const v1::ListInboxRequest* request,
                           v1::ListInboxResponse* response) override;
  ::grpc::Status MarkRead(::grpc::ServerContext* context, const v1::MarkReadRequest* request,
                          v1::InboxItem* response) override;
  ::grpc::Status StreamAlerts(::grpc::ServerContext* context, const v1::StreamAlertsRequest* request,
                              ::grpc::ServerWriter<v1::Alert>* writer) override;
};

}  // namespace edfleet::notify
