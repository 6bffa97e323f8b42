// port_in_use: a listener counts, a connection of a stopped service lingering in TIME_WAIT does not.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ports.h"

namespace {

// A listening socket on a free loopback port; returns the descriptor and sets `port`.
int listen_on_free_port(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t length = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

TEST_CASE("port_in_use: a listener makes a port busy; TIME_WAIT left by a stopped service does not") {
  int port = 0;
  const int listener = listen_on_free_port(port);
  CHECK(edfleet::cli::port_in_use(port));

  // A client connects; the server side closes first, as a stopping service does, so its end of
  // the connection stays in TIME_WAIT on this port after the listener is gone.
  const int client = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const int accepted = ::accept(listener, nullptr, nullptr);
  REQUIRE(accepted >= 0);
  ::close(accepted);
  ::close(listener);
  char byte;
  CHECK(::read(client, &byte, 1) == 0);  // the server's FIN has arrived
  ::close(client);

  CHECK_FALSE(edfleet::cli::port_in_use(port));
}
