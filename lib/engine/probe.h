// Health probes that run from the host: a TCP connect and an HTTP GET, each
// bounded by a timeout. (The exec probe runs inside the jail through the Host
// port.)
#pragma once

#include <chrono>
#include <string>

namespace jaild::engine {

// Connects to HOST:PORT; true when the connection is accepted in time.
bool tcp_probe(const std::string& host, int port, std::chrono::milliseconds timeout,
               std::string& detail);

// GETs the URL; true for a 2xx or 3xx answer in time.
bool http_probe(const std::string& url, std::chrono::milliseconds timeout, std::string& detail);

}  // namespace jaild::engine
