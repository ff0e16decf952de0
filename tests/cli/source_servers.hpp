// Loopback servers for the feed-source tests (issue 19), on cpp-httplib: an HTTPS-feed stand-in
// (ETag / Last-Modified, 304) with hostile modes, a TAXII 2.1 server that follows the OASIS
// specification's client-visible rules (media types, limit/next/more, added_after,
// match[type], match[version], the X-TAXII-Date-Added-First/Last headers, error messages with
// 401/403/404/406) with hostile modes, and a static server for MISP feed folders.
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace falcon_source_test {

using nlohmann::json;

/// An httplib::Server on 127.0.0.1 and a free port, run on its own thread.
class Loopback {
 public:
  /// Plain HTTP, or HTTPS with `cert`/`key` (PEM files).
  explicit Loopback(const std::string& cert = "", const std::string& key = "")
      : owned_(cert.empty() ? std::make_unique<httplib::Server>()
                            : std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str())),
        srv_(*owned_),
        scheme_(cert.empty() ? "http" : "https") {}
  Loopback(const Loopback&) = delete;
  Loopback& operator=(const Loopback&) = delete;
  virtual ~Loopback() { stop(); }

  void start() {
    port_ = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
    // listen_after_bind() sets is_running() before it accepts; connections queue meanwhile.
    while (!srv_.is_running()) std::this_thread::yield();
  }
  void stop() {
    srv_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }
  std::string origin() const { return "127.0.0.1:" + std::to_string(port_); }

 protected:
  std::unique_ptr<httplib::Server> owned_;
  httplib::Server& srv_;
  std::string scheme_;
  int port_ = 0;
  std::thread thread_;
};

/// GET /feeds/<name>: the body set with set_feed(), with an ETag and Last-Modified that change
/// with it; If-None-Match with the current ETag answers 304.
class FeedServer : public Loopback {
 public:
  enum class Mode {
    normal,
    html,
    status500,
    truncated,
    redirect_http,
    redirect_loop,
    json_type,
    stall,  // sends half the body, then waits until release() (or the server stops)
  };

  explicit FeedServer(const std::string& cert = "", const std::string& key = "")
      : Loopback(cert, key) {
    srv_.Get(R"(/feeds/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests;
      const std::string etag = "\"v" + std::to_string(version_) + "\"";
      switch (mode_) {
        case Mode::html:
          res.set_content("<html><body>Please log in</body></html>", "text/html");
          return;
        case Mode::status500:
          res.status = 500;
          res.set_content("oops", "text/plain");
          return;
        case Mode::redirect_http:
          res.status = 302;
          res.set_header("Location", url() + "/elsewhere.csv");
          return;
        case Mode::redirect_loop:
          res.status = 302;
          res.set_header("Location", "https://127.0.0.1:1/feeds/x.csv");
          return;
        case Mode::stall: {
          const std::string body = body_;
          res.set_content_provider(
              body.size(), "text/csv",
              [this, body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                if (offset == 0) {
                  sink.write(body.data(), body.size() / 2);
                  ++stalls;
                  std::unique_lock<std::mutex> wait(stall_mu_);
                  stall_cv_.wait(wait, [this] { return released_; });
                  return false;
                }
                return false;
              });
          return;
        }
        case Mode::truncated: {
          const std::string body = body_;
          // Announces more than it sends, then drops the connection.
          res.set_content_provider(
              body.size() + 1000, "text/csv",
              [body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                if (offset == 0) sink.write(body.data(), body.size());
                return offset == 0;
              });
          return;
        }
        default:
          break;
      }
      if (req.get_header_value("If-None-Match") == etag) {
        ++not_modified;
        res.status = 304;
        res.set_header("ETag", etag);
        return;
      }
      res.set_header("ETag", etag);
      res.set_header("Last-Modified",
                     "Wed, 01 Jan 2026 00:00:0" + std::to_string(version_ % 10) + " GMT");
      res.set_content(body_, mode_ == Mode::json_type ? "application/json" : type_);
      (void)req.matches;
    });
    start();
  }

  ~FeedServer() override {
    release();
    stop();
  }

  /// Ends every stalled reply.
  void release() {
    std::lock_guard<std::mutex> lock(stall_mu_);
    released_ = true;
    stall_cv_.notify_all();
  }

  void set_feed(const std::string& body, const std::string& type = "text/csv") {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = body;
    type_ = type;
    ++version_;
  }
  void set_mode(Mode m) {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = m;
  }

  std::atomic<int> requests{0}, not_modified{0}, stalls{0};

 private:
  std::mutex stall_mu_;
  std::condition_variable stall_cv_;
  bool released_ = false;
  std::mutex mu_;
  std::string body_, type_ = "text/csv";
  int version_ = 0;
  Mode mode_ = Mode::normal;
};

/// A TAXII 2.1 server with one API root (/api1/) and collections, on the OASIS rules a client
/// sees. Objects are kept in the order they were added, each with its date_added.
class TaxiiServer : public Loopback {
 public:
  enum class Mode {
    normal,
    never_ending,  // more: true forever, with the same next
    big_page,      // a page padded past any small cap
    wrong_type,    // application/json instead of the TAXII media type
    all_versions,  // ignores match[version]=last (the client must keep the newest)
    no_next,       // more: true without next (the client must use the date header)
  };
  static constexpr const char* kType = "application/taxii+json;version=2.1";

  explicit TaxiiServer(std::string token = "taxii-secret-token") : token_(std::move(token)) {
    srv_.Get("/taxii2/", [this](const httplib::Request& req, httplib::Response& res) {
      if (!gate(req, res)) return;
      reply(res, {{"title", "falcon-ioc test TAXII"},
                  {"default", url() + "/api1/"},
                  {"api_roots", {url() + "/api1/"}}});
    });
    srv_.Get("/api1/", [this](const httplib::Request& req, httplib::Response& res) {
      if (!gate(req, res)) return;
      reply(res, {{"title", "api1"}, {"versions", {kType}}, {"max_content_length", 104857600}});
    });
    srv_.Get("/api1/collections/", [this](const httplib::Request& req, httplib::Response& res) {
      if (!gate(req, res)) return;
      json cs = json::array();
      for (const auto& [id, c] : collections_) cs.push_back(describe(id));
      reply(res, {{"collections", cs}});
    });
    srv_.Get(R"(/api1/collections/([^/]+)/)",
             [this](const httplib::Request& req, httplib::Response& res) {
               if (!gate(req, res)) return;
               const std::string id = req.matches[1];
               if (!collections_.count(id)) return error(res, 404, "Collection not found");
               reply(res, describe(id));
             });
    srv_.Get(R"(/api1/collections/([^/]+)/objects/)",
             [this](const httplib::Request& req, httplib::Response& res) { objects(req, res); });
    start();
  }

  /// Adds `obj` to collection `id` now (date_added one second after the previous object).
  void add(const std::string& id, json obj) {
    std::lock_guard<std::mutex> lock(mu_);
    ++clock_;
    collections_[id].push_back({std::move(obj), date(clock_)});
  }
  void set_mode(Mode m) { mode_ = m; }
  void set_status(int s) { forced_status_ = s; }
  void set_page_size(std::size_t n) { page_size_ = n; }
  void set_readable(bool r) { readable_ = r; }

  /// The added_after of each objects request, "" when none.
  std::vector<std::string> added_after_seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return added_after_;
  }
  std::atomic<int> object_requests{0};

  static std::string date(int n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "2026-01-01T%02d:%02d:%02d.000Z", n / 3600, (n / 60) % 60,
                  n % 60);
    return buf;
  }

 private:
  struct Entry {
    json obj;
    std::string added;
  };

  json describe(const std::string& id) const {
    return {{"id", id},
            {"title", "collection " + id},
            {"can_read", readable_.load()},
            {"can_write", false},
            {"media_types", {"application/stix+json;version=2.1"}}};
  }

  void reply(httplib::Response& res, const json& body) {
    res.set_content(body.dump(), mode_ == Mode::wrong_type ? "application/json" : kType);
  }

  void error(httplib::Response& res, int status, const std::string& title) {
    res.status = status;
    if (status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"taxii\"");
    res.set_content(json{{"title", title}, {"http_status", std::to_string(status)}}.dump(), kType);
  }

  // Media type and credentials, as every endpoint checks them.
  bool gate(const httplib::Request& req, httplib::Response& res) {
    const std::string accept = req.get_header_value("Accept");
    if (accept.find("application/taxii+json") == std::string::npos ||
        accept.find("version=2.1") == std::string::npos) {
      error(res, 406, "The requested media type is not supported");
      return false;
    }
    if (req.get_header_value("Authorization") != "Bearer " + token_) {
      error(res, 401, "Authentication required");
      return false;
    }
    if (forced_status_) {
      error(res, forced_status_, "Forced by the test");
      return false;
    }
    return true;
  }

  void objects(const httplib::Request& req, httplib::Response& res) {
    ++object_requests;
    if (!gate(req, res)) return;
    std::lock_guard<std::mutex> lock(mu_);
    const std::string id = req.matches[1];
    auto coll = collections_.find(id);
    if (coll == collections_.end()) return error(res, 404, "Collection not found");
    const std::string after = req.get_param_value("added_after");
    added_after_.push_back(after);
    const std::string types = req.get_param_value("match[type]");
    std::size_t limit = page_size_;
    if (req.has_param("limit")) limit = std::min(limit, std::stoul(req.get_param_value("limit")));
    std::size_t offset = 0;
    if (req.has_param("next")) offset = std::stoul(req.get_param_value("next"));
    if (mode_ == Mode::never_ending) {
      res.set_header("X-TAXII-Date-Added-First", date(1));
      res.set_header("X-TAXII-Date-Added-Last", date(1));
      return reply(res, {{"more", true}, {"next", "0"}, {"objects", json::array()}});
    }
    // Matching objects, in date_added order; match[version]=last keeps each id's newest.
    std::vector<const Entry*> match;
    std::map<std::string, std::size_t> newest;
    for (const auto& e : coll->second) {
      if (!after.empty() && e.added <= after) continue;
      const std::string type = e.obj.value("type", "");
      if (!types.empty() && ("," + types + ",").find("," + type + ",") == std::string::npos) {
        continue;
      }
      const std::string oid = e.obj.value("id", "");
      if (mode_ != Mode::all_versions) {
        auto it = newest.find(oid);
        if (it != newest.end()) {
          if (match[it->second]->obj.value("modified", "") <= e.obj.value("modified", "")) {
            match[it->second] = &e;
          }
          continue;
        }
        newest[oid] = match.size();
      }
      match.push_back(&e);
    }
    json objs = json::array();
    std::string first, last;
    for (std::size_t i = offset; i < match.size() && i < offset + limit; ++i) {
      objs.push_back(match[i]->obj);
      if (first.empty()) first = match[i]->added;
      last = std::max(last, match[i]->added);
    }
    const bool more = offset + limit < match.size();
    json env = {{"more", more}};
    if (more && mode_ != Mode::no_next) env["next"] = std::to_string(offset + limit);
    if (!objs.empty()) env["objects"] = objs;
    if (mode_ == Mode::big_page) env["padding"] = std::string(64 * 1024, 'x');
    if (!first.empty()) {
      res.set_header("X-TAXII-Date-Added-First", first);
      res.set_header("X-TAXII-Date-Added-Last", last);
    }
    reply(res, env);
  }

  std::mutex mu_;
  std::string token_;
  std::map<std::string, std::vector<Entry>> collections_;
  int clock_ = 0;
  std::atomic<Mode> mode_{Mode::normal};
  std::atomic<int> forced_status_{0};
  std::atomic<std::size_t> page_size_{2};
  std::atomic<bool> readable_{true};
  std::vector<std::string> added_after_;
};

/// Serves the folder `dir` at /feed/ (a MISP feed over HTTP).
class StaticServer : public Loopback {
 public:
  explicit StaticServer(const std::string& dir) {
    srv_.set_mount_point("/feed", dir);
    start();
  }
};

}  // namespace falcon_source_test
