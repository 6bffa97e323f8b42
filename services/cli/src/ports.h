// Whether `edfleet up` can have a service bind a port.
#pragma once

namespace edfleet::cli {

// True when something already listens on 127.0.0.1:port (so the service would fail to bind). Binds
// with SO_REUSEADDR, as the services themselves do: sockets of a fleet just stopped, still in
// TIME_WAIT, do not count (without it `up` refused to start for a minute after Ctrl-C).
bool port_in_use(int port);

}  // namespace edfleet::cli
