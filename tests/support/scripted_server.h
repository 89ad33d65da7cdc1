// File: tests/support/scripted_server.h
//
// ScriptedServer: a loopback TCP server whose behaviour each test scripts, for tests of HTTP
// clients at the byte level (the direct transport's connection, the transport contract's
// idle-closing server): replies that are malformed, late, cut short, reset, or closed while the
// client is idle. The script runs on the server's own thread with blocking accept, read, send and
// close helpers. Library lmc_scripted_server; test-only.
//
// Example:
//
//   ScriptedServer server;
//   server.Run([](ScriptedServer& s) {
//     const int fd = s.Accept();
//     s.ReadRequest(fd);
//     s.Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
//     s.Close(fd, /*reset=*/true);
//   });
//   ... connect a client to server.address() ...
//   server.Join();
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "lmc/mutex.h"

namespace lmc::integration {

// ScriptedServer
//
// Listens on 127.0.0.1 (an ephemeral port) from construction. The script helpers are for the
// script's thread; accepted() and WaitForClosed() for any thread. The destructor shuts every
// socket down, so a script blocked in Accept() or ReadRequest() returns, then joins it.
class ScriptedServer {
 public:
  ScriptedServer();
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  // Starts `script` on the server's thread (once).
  void Run(std::function<void(ScriptedServer&)> script);
  // Waits for the script to finish.
  void Join();

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"

  // Script helpers (the server's thread).
  // The next connection's descriptor; -1 once the server is shutting down.
  int Accept();
  // One request: its head and, per Content-Length, its body. "" at end of stream.
  std::string ReadRequest(int fd);
  // Sends all of `bytes` (stops at the first error).
  void Send(int fd, std::string_view bytes);
  // Closes with a FIN, or with an RST when `reset`.
  void Close(int fd, bool reset = false);

  // How many connections were accepted, and closed by Close(); thread-safe.
  int accepted();
  // Waits (bounded) until Close() has closed `n` connections; false on timeout.
  bool WaitForClosed(int n);

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::map<int, std::string> pending_;  // the script's thread only
  Mutex mu_;
  std::vector<int> open_ ABSL_GUARDED_BY(mu_);
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  int closed_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lmc::integration
