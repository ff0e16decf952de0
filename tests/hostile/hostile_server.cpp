#include "hostile_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hostile {

namespace {

constexpr std::size_t kMaxHeaderBytes = 1 << 20;
constexpr std::size_t kMaxBodyBytes = 64u << 20;
// A chunked-forever reply stops by itself after this much, whatever the client does.
constexpr std::uint64_t kMaxChunkedBytes = 4ull << 30;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Whatever";
  }
}

bool has_header(const std::vector<std::string>& lines, std::string_view name) {
  for (const auto& l : lines) {
    auto colon = l.find(':');
    if (colon != std::string::npos && iequals(trim(l.substr(0, colon)), name)) return true;
  }
  return false;
}

}  // namespace

Reply Reply::json(int status, std::string body, std::vector<std::string> extra) {
  Reply r;
  r.status = status;
  r.headers = std::move(extra);
  r.headers.insert(r.headers.begin(), "Content-Type: application/json");
  r.body = std::move(body);
  return r;
}

Reply Reply::token(const std::string& access_token, const std::string& expires_in_raw) {
  // access_token is JSON-escaped by hand so that CR, LF and NUL arrive as \r, \n and \u0000.
  std::string esc;
  for (char c : access_token) {
    switch (c) {
      case '"':
        esc += "\\\"";
        break;
      case '\\':
        esc += "\\\\";
        break;
      case '\r':
        esc += "\\r";
        break;
      case '\n':
        esc += "\\n";
        break;
      case '\0':
        esc += "\\u0000";
        break;
      default:
        esc += c;
    }
  }
  return json(201, "{\"access_token\":\"" + esc +
                       "\",\"token_type\":\"bearer\",\"expires_in\":" + expires_in_raw + "}");
}

Reply Reply::redirect(int status, std::string location) {
  Reply r;
  r.status = status;
  r.headers = {"Location: " + location, "Content-Type: text/plain"};
  r.body = "moved";
  return r;
}

Reply Reply::silence() {
  Reply r;
  r.mode = Mode::silence;
  return r;
}

Reply Reply::close() {
  Reply r;
  r.mode = Mode::close;
  return r;
}

Reply Reply::chunked_forever(int status, std::string content_type) {
  Reply r;
  r.mode = Mode::chunked_forever;
  r.status = status;
  r.headers = {"Content-Type: " + content_type, "Transfer-Encoding: chunked"};
  return r;
}

std::optional<std::string> Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

Server::Server(std::string host) : host_(std::move(host)) {
  if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1 ||
      (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
    throw std::invalid_argument("hostile::Server binds loopback only: " + host_);
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("bind/listen on " + host_ + " failed: " + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

Server::~Server() {
  stopping_ = true;
  const char byte = 'x';
  (void)!::write(wake_[1], &byte, 1);
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string Server::url() const {
  return "http://" + host_ + ":" + std::to_string(port_);
}

void Server::on(const std::string& method, const std::string& path, std::vector<Reply> script) {
  if (script.empty()) throw std::invalid_argument("empty script");
  std::lock_guard<std::mutex> lock(mu_);
  routes_[method + " " + path] = Route{std::move(script), 0};
}

void Server::on(const std::string& method, const std::string& path, Reply reply) {
  on(method, path, std::vector<Reply>{std::move(reply)});
}

void Server::set_keep_alive(bool keep_alive) {
  keep_alive_ = keep_alive;
}

std::vector<Request> Server::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<Request> Server::requests(const std::string& method, const std::string& path) const {
  std::vector<Request> out;
  for (auto& r : requests()) {
    if (r.method == method && r.path == path) out.push_back(std::move(r));
  }
  return out;
}

void Server::accept_loop() {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0 || stopping_) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

bool Server::wait_readable(int fd) const {
  pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  while (::poll(fds, 2, -1) < 0) {
    if (errno != EINTR) return false;
  }
  return fds[1].revents == 0 && fds[0].revents != 0;
}

bool Server::send_all(int fd, std::string_view data) const {
  while (!data.empty()) {
    pollfd fds[2] = {{fd, POLLOUT, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[1].revents != 0 || (fds[0].revents & (POLLERR | POLLHUP)) != 0) return false;
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Reply Server::pick(const Request& req) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(req);
  auto it = routes_.find(req.method + " " + req.path);
  if (it == routes_.end()) {
    return Reply::json(404, R"({"meta":{},"resources":[],"errors":[{"code":404,"message":")" +
                                req.method + " " + req.path + " is not scripted\"}]}");
  }
  Route& r = it->second;
  const Reply& reply = r.script[std::min(r.next, r.script.size() - 1)];
  if (r.next < r.script.size()) ++r.next;
  return reply;
}

void Server::serve(int fd) {
  std::string buf;
  while (!stopping_ && handle_one(fd, buf)) {
  }
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::close(fd);
}

bool Server::handle_one(int fd, std::string& buf) {
  char chunk[16384];
  auto read_more = [&]() {
    if (!wait_readable(fd)) return false;
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  };
  // Request line and headers.
  std::size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > kMaxHeaderBytes || !read_more()) return false;
  }
  Request req;
  const std::string head = buf.substr(0, end);
  buf.erase(0, end + 4);
  std::size_t pos = head.find("\r\n");
  const std::string request_line = head.substr(0, pos);
  const auto sp1 = request_line.find(' ');
  const auto sp2 = request_line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return false;
  req.method = request_line.substr(0, sp1);
  req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  req.path = req.target.substr(0, req.target.find('?'));
  while (pos != std::string::npos) {
    const std::size_t start = pos + 2;
    pos = head.find("\r\n", start);
    const std::string line = head.substr(start, pos == std::string::npos ? pos : pos - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      req.headers.emplace_back(line, "");  // kept: an injected bare line is evidence too
    } else {
      req.headers.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
    }
  }
  // Body: Content-Length only (libcurl sends it for every body the SDK has).
  std::size_t length = 0;
  if (auto cl = req.header("Content-Length")) {
    try {
      length = std::stoul(*cl);
    } catch (...) {
      return false;
    }
  }
  if (length > kMaxBodyBytes) return false;
  while (buf.size() < length) {
    if (!read_more()) return false;
  }
  req.body = buf.substr(0, length);
  buf.erase(0, length);

  const bool keep_alive = keep_alive_ && !iequals(req.header("Connection").value_or(""), "close");
  const Reply reply = pick(req);
  if (reply.mode == Reply::Mode::close) return false;
  if (reply.mode == Reply::Mode::silence) {
    // Hold the connection until the client gives up or the server stops.
    while (wait_readable(fd)) {
      if (::recv(fd, chunk, sizeof chunk, 0) <= 0) break;
    }
    return false;
  }
  std::string out =
      "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
  for (const auto& line : reply.headers) out += line + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  if (reply.mode == Reply::Mode::chunked_forever) {
    out += "\r\n";
    if (!send_all(fd, out)) return false;
    const std::string piece = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";
    for (std::uint64_t sent = 0; sent < kMaxChunkedBytes && !stopping_; sent += 0x10000) {
      if (!send_all(fd, piece)) return false;
    }
    send_all(fd, "0\r\n\r\n");
    return false;
  }
  if (!has_header(reply.headers, "Content-Length") &&
      !has_header(reply.headers, "Transfer-Encoding")) {
    out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += reply.body;
  return send_all(fd, out) && keep_alive;
}

}  // namespace hostile
