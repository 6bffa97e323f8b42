#include "transport/notify_service_handler.h"

#include <string>
#include <string_view>

namespace edfleet::notify {
namespace {

::grpc::Status not_yet(std::string_view method) {
  return {::grpc::StatusCode::UNIMPLEMENTED,
          std::string(v1::NotifyService::service_full_name()) + "/" + std::string(method) +
              " is not implemented yet: notification delivery arrives with a later issue"};
}

}  // namespace

::grpc::Status NotifyServiceHandler::Send(::grpc::ServerContext*, const v1::SendRequest*,
                                          v1::Delivery*) {
  return not_yet("Send");
}

::grpc::Status NotifyServiceHandler::UpsertTemplate(::grpc::ServerContext*, const v1::Template*,
                                                    v1::Template*) {
  return not_yet("UpsertTemplate");
}

::grpc::Status NotifyServiceHandler::GetPreferences(::grpc::ServerContext*, const v1::GetPreferencesRequest*,
                                                    v1::Preferences*) {
  return not_yet("GetPreferences");
}

::grpc::Status NotifyServiceHandler::SetPreferences(::grpc::ServerContext*, const v1::Preferences*,
                                                    v1::Preferences*) {
  return not_yet("SetPreferences");
}

::grpc::Status NotifyServiceHandler::ListInbox(::grpc::ServerContext*, const v1::ListInboxRequest*,
                                               v1::ListInboxResponse*) {
  return not_yet("ListInbox");
}

::grpc::Status NotifyServiceHandler::MarkRead(::grpc::ServerContext*, const v1::MarkReadRequest*,
                                              v1::InboxItem*) {
  return not_yet("MarkRead");
}

::grpc::Status NotifyServiceHandler::StreamAlerts(::grpc::ServerContext*, const v1::StreamAlertsRequest*,
                                                  ::grpc::ServerWriter<v1::Alert>*) {
  return not_yet("StreamAlerts");
}

}  // namespace edfleet::notify
