// Routes server notices (NOTICE, WARNING, ...) of one connection to core::log: libpq would print
// them on stderr, which breaks the one-JSON-object-per-line log stream.
#pragma once

#include <pqxx/connection_base>
#include <pqxx/errorhandler>

namespace edfleet::pg {

class NoticeLogger final : public pqxx::errorhandler {
 public:
  explicit NoticeLogger(pqxx::connection_base& connection) : pqxx::errorhandler(connection) {}
  bool operator()(const char message[]) noexcept override;
};

}  // namespace edfleet::pg
