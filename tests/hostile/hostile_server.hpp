// A loopback HTTP/1.1 server that misbehaves on demand, for the hostile-server suite. Raw POSIX
// sockets (not cpp-httplib) so that it can send what a well-behaved server library refuses to:
// header lines with anything in them, chunked bodies that never end, silence, arbitrary status
// codes and Location headers. Every request it receives is recorded.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace hostile {

/// One scripted reply.
struct Reply {
  enum class Mode {
    normal,           ///< status line, header lines, Content-Length (unless given), body
    chunked_forever,  ///< status line, header lines, then 64 KiB chunks until the peer leaves
    silence,          ///< read the request, never answer, hold the connection open
    close,            ///< read the request, close the connection without a byte
  };
  Mode mode = Mode::normal;
  int status = 200;
  /// Raw header lines sent as given ("Name: value", no CRLF at the end).
  std::vector<std::string> headers;
  std::string body;

  /// A JSON reply.
  static Reply json(int status, std::string body, std::vector<std::string> extra = {});
  /// A 201 token reply with `expires_in_raw` written into the JSON as given (any JSON text).
  static Reply token(const std::string& access_token, const std::string& expires_in_raw = "1799");
  /// A redirect to `location`.
  static Reply redirect(int status, std::string location);
  static Reply silence();
  static Reply close();
  static Reply chunked_forever(int status = 200, std::string content_type = "application/json");
};

/// One request as received.
struct Request {
  std::string method;
  std::string target;  ///< As on the request line (path and query).
  std::string path;    ///< target without the query.
  std::vector<std::pair<std::string, std::string>> headers;  ///< In order, as received.
  std::string body;

  /// The first header named `name` (ASCII case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

class Server {
 public:
  /// Binds `host` (any 127.0.0.0/8 address) on an ephemeral port and starts serving.
  explicit Server(std::string host = "127.0.0.1");
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Replies to `method` `path` (exact, query ignored) with `script` in order; the last reply
  /// repeats. Unscripted routes get 404 with an error envelope.
  void on(const std::string& method, const std::string& path, std::vector<Reply> script);
  void on(const std::string& method, const std::string& path, Reply reply);
  /// false: every reply carries "Connection: close" and the connection is closed after it, so
  /// each request arrives on a new connection (no hidden resend by the client on reuse).
  void set_keep_alive(bool keep_alive);

  std::string host() const { return host_; }
  int port() const { return port_; }
  /// "http://HOST:PORT".
  std::string url() const;

  std::vector<Request> requests() const;
  /// Requests to `method` `path`.
  std::vector<Request> requests(const std::string& method, const std::string& path) const;
  std::size_t connections() const { return connections_.load(); }

 private:
  struct Route {
    std::vector<Reply> script;
    std::size_t next = 0;
  };

  void accept_loop();
  void serve(int fd);
  /// Reads one request from `fd` and answers it; false: close the connection.
  bool handle_one(int fd, std::string& buf);
  Reply pick(const Request& req);
  bool wait_readable(int fd) const;
  bool send_all(int fd, std::string_view data) const;

  std::string host_;
  int port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a byte in the pipe wakes every poll() on shutdown
  std::atomic<bool> stopping_{false};
  std::atomic<bool> keep_alive_{true};
  std::atomic<std::size_t> connections_{0};
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::map<std::string, Route> routes_;
  std::vector<Request> requests_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
};

}  // namespace hostile
