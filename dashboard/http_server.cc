#include "dashboard/http_server.h"

#include <zlib.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <exception>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "dashboard/api.h"
#include "dashboard/assets.h"
#include "dashboard/compress.h"
#include "dashboard/query_params.h"
#include "httplib.h"
#include "scheduler/auth.h"

namespace augur::dashboard {
namespace {

using nlohmann::json;

int HttpCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// JSON answers carry a charset, so that httplib leaves their compression to SetBody.
constexpr char kJson[] = "application/json; charset=utf-8";

// Errors are small: sent as they are.
void SendError(httplib::Response& res, const absl::Status& status) {
  std::string code = absl::StatusCodeToString(status.code());
  for (char& c : code) c = c == ' ' ? '_' : static_cast<char>(std::tolower(c));
  res.status = HttpCode(status.code());
  res.set_content(
      json{{"error", {{"code", code}, {"message", std::string(status.message())}}}}.dump(), kJson);
}

void SendJson(const httplib::Request& req, httplib::Response& res,
              const absl::StatusOr<json>& body) {
  if (!body.ok()) return SendError(res, body.status());
  SetBody(req, res, body->dump(), kJson);
}

std::vector<std::string> ListField(const json& body, const char* name) {
  std::vector<std::string> out;
  if (body.contains(name) && body[name].is_array()) {
    for (const json& v : body[name]) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

}  // namespace

struct DashboardServer::Impl {
  Impl(Scheduler* s, DashboardOptions o) : scheduler(s), api(s), options(std::move(o)) {}

  // The method name the Authorizer logs refused dashboard calls under.
  static constexpr char kMethod[] = "Dashboard";

  Scheduler* const scheduler;
  DashboardApi api;
  const DashboardOptions options;
  std::unique_ptr<Authorizer> auth = std::make_unique<Authorizer>();  // Default: allows all.
  std::unique_ptr<httplib::Server> http;  // An SSLServer with TLS files.
  std::string host;
  std::string scheme = "http";
  int port = 0;
  std::thread thread;
  absl::Mutex stop_mu;
  bool stopping ABSL_GUARDED_BY(stop_mu) = false;
  std::atomic<int> live_streams{0};
  std::vector<std::string> endpoints;  // "METHOD PATTERN" of every route, in order.

  void Get(const std::string& pattern, httplib::Server::Handler handler) {
    endpoints.push_back("GET " + pattern);
    http->Get(pattern, std::move(handler));
  }
  void Post(const std::string& pattern, httplib::Server::Handler handler) {
    endpoints.push_back("POST " + pattern);
    http->Post(pattern, std::move(handler));
  }

  // Waits `d` of wall time, or less when Stop is called; true once stopping. The live streams
  // wait here rather than in Scheduler::WaitForChange, whose timeout runs on the scheduler's
  // clock (a FakeClock in tests would never end it) and which Stop cannot interrupt.
  bool StoppingAfter(absl::Duration d) {
    absl::MutexLock lock(&stop_mu);
    stop_mu.AwaitWithTimeout(absl::Condition(&stopping), d);
    return stopping;
  }

  std::string Authorization(const httplib::Request& req) const {
    std::string header = req.get_header_value("Authorization");
    if (header.empty() && req.has_param("access_token")) {
      header = absl::StrCat("Bearer ", req.get_param_value("access_token"));
    }
    return header;
  }

  CallFacts Facts(const httplib::Request& req) const {
    return {Authorization(req), false, absl::StrCat(req.remote_addr, ":", req.remote_port)};
  }

  static absl::Status ToAbsl(const grpc::Status& s) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }

  // OK if `caller` (authorized for the submit role) may change `sweep_id`: its owner, or an
  // admin (anyone without tokens), as for the same call over gRPC.
  absl::Status MayChange(const httplib::Request& req, const Caller& caller,
                         const std::string& sweep_id) {
    if (!auth->enabled() || caller.role == Role::kAdmin) return absl::OkStatus();
    absl::StatusOr<std::string> owner = scheduler->SweepOwner(sweep_id);
    if (!owner.ok()) return owner.status();
    return ToAbsl(auth->CheckOwner(caller, *owner, kMethod, sweep_id, Facts(req).peer));
  }

  // Runs `body` if the caller holds `role`; an exception becomes a 500, never escapes.
  template <typename Body>
  httplib::Server::Handler Guarded(Role role, Body body) {
    return [this, role, body](const httplib::Request& req, httplib::Response& res) {
      Caller caller;
      const grpc::Status allowed = auth->AuthorizeFacts(Facts(req), role, kMethod, &caller);
      if (!allowed.ok()) return SendError(res, ToAbsl(allowed));
      try {
        // Bodies that act are given the authorized caller (for the owner check and the record).
        if constexpr (std::is_invocable_v<Body, const httplib::Request&, httplib::Response&,
                                          const Caller&>) {
          body(req, res, caller);
        } else {
          body(req, res);
        }
      } catch (const std::exception& e) {
        SendError(res, absl::InternalError(absl::StrCat("internal error: ", e.what())));
      } catch (...) {
        SendError(res, absl::InternalError("internal error"));
      }
    };
  }

  void ServeAssets() {
    int count = 0;
    const Asset* assets = Assets(&count);
    for (int i = 0; i < count; ++i) {
      const Asset asset = assets[i];
      // Gzipped once, at zlib's best level (compress.h); httplib compresses text/ types (small:
      // the page and its styles) itself.
      auto gz = std::make_shared<std::string>();
      if (asset.content_type.rfind("text/", 0) != 0) {
        absl::StatusOr<std::string> z = Gzip(asset.body, Z_BEST_COMPRESSION);
        if (z.ok()) *gz = std::move(*z);
      }
      Get(std::string(asset.path),
          [asset, gz](const httplib::Request& req, httplib::Response& res) {
            const std::string type(asset.content_type);
            if (!gz->empty() && AcceptsGzip(req)) {
              res.set_header("Content-Encoding", "gzip");
              res.set_content(*gz, type);
            } else {
              res.set_content(asset.body.data(), asset.body.size(), type);
            }
          });
    }
  }

  void ServeReads() {
    Get("/api/v1/sweeps", Guarded(Role::kView, [this](const auto& req, auto& res) {
          const absl::StatusOr<int64_t> size = IntParam(req, "page_size", 100, 1000);
          if (!size.ok()) return SendError(res, size.status());
          SendJson(req, res,
                   api.Sweeps(static_cast<int>(*size), req.get_param_value("page_token")));
        }));
    Get(R"(/api/v1/sweeps/([^/]+))", Guarded(Role::kView, [this](const auto& req, auto& res) {
          const absl::StatusOr<TrialPageQuery> page = ParseTrialPage(req);
          if (!page.ok()) return SendError(res, page.status());
          SendJson(req, res, api.Sweep(req.matches[1], *page));
        }));
    Get(R"(/api/v1/sweeps/([^/]+)/curves)",
        Guarded(Role::kView, [this](const auto& req, auto& res) {
          const absl::StatusOr<CurveQuery> query = ParseCurveQuery(req);
          if (!query.ok()) return SendError(res, query.status());
          absl::StatusOr<std::string> body = api.Curves(req.matches[1], *query);
          if (!body.ok()) return SendError(res, body.status());
          SetBody(req, res, std::move(*body), kJson);
        }));
    Get(R"(/api/v1/sweeps/([^/]+)/trials/([^/]+))",
        Guarded(Role::kView, [this](const auto& req, auto& res) {
          const absl::StatusOr<int64_t> points = IntParam(req, "points", 2000, 100000);
          if (!points.ok()) return SendError(res, points.status());
          SendJson(req, res,
                   api.Trial(req.matches[1], req.matches[2], static_cast<size_t>(*points)));
        }));
    Get("/api/v1/events",
        Guarded(Role::kView, [this](const auto&, auto& res) { ServeEvents(res); }));
  }

  // Server-sent events: "change" with the scheduler's version whenever a ranking may have
  // changed (the first one at once; looked at four times a second), a comment every second
  // otherwise, which also notices a client that went away.
  void ServeEvents(httplib::Response& res) {
    if (live_streams.fetch_add(1) >= options.max_live_streams) {
      live_streams.fetch_sub(1);
      return SendError(res, absl::UnavailableError("too many live streams open"));
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, seen = int64_t{-1}, quiet = 0](size_t, httplib::DataSink& sink) mutable {
          const int64_t now = api.WaitForChange(seen, absl::ZeroDuration());
          if (now != seen) {
            seen = now;
            quiet = 0;
            const std::string event =
                absl::StrCat("event: change\ndata: {\"version\":", now, "}\n\n");
            return sink.write(event.data(), event.size());
          }
          if (StoppingAfter(absl::Milliseconds(250))) {
            sink.done();
            return true;
          }
          if (++quiet % 4 != 0) return true;
          constexpr char kComment[] = ": waiting\n\n";
          return sink.write(kComment, sizeof(kComment) - 1);
        },
        [this](bool) { live_streams.fetch_sub(1); });
  }

  void ServeActions() {
    const auto act = [this](TrialAction action) {
      return Guarded(Role::kSubmit, [this, action](const httplib::Request& req,
                                                   httplib::Response& res, const Caller& caller) {
        if (!options.allow_actions) return SendError(res, ActionsOff());
        if (absl::Status may = MayChange(req, caller, req.matches[1]); !may.ok()) {
          return SendError(res, may);
        }
        const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
        const std::string reason =
            body.is_object() && body.contains("reason") && body["reason"].is_string()
                ? body["reason"].template get<std::string>()
                : "";
        SendJson(req, res, api.Act(req.matches[1], req.matches[2], action, reason, Who(caller)));
      });
    };
    Post(R"(/api/v1/sweeps/([^/]+)/trials/([^/]+)/stop)", act(TrialAction::kStop));
    Post(R"(/api/v1/sweeps/([^/]+)/trials/([^/]+)/pause)", act(TrialAction::kPause));
    Post(R"(/api/v1/sweeps/([^/]+)/trials/([^/]+)/resume)", act(TrialAction::kResume));
    Post(R"(/api/v1/sweeps/([^/]+)/tags)",
         Guarded(Role::kSubmit,
                 [this](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
                   if (!options.allow_actions) return SendError(res, ActionsOff());
                   if (absl::Status may = MayChange(req, caller, req.matches[1]); !may.ok()) {
                     return SendError(res, may);
                   }
                   const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
                   if (!body.is_object()) {
                     return SendError(
                         res, absl::InvalidArgumentError(
                                  "expected a JSON object {\"add\": [...], \"remove\": [...]}"));
                   }
                   SendJson(req, res,
                            api.Tag(req.matches[1], ListField(body, "add"),
                                    ListField(body, "remove"), Who(caller)));
                 }));
  }

  static absl::Status ActionsOff() {
    return absl::PermissionDeniedError(
        "the dashboard is read-only: start the scheduler with --dashboard-actions to allow "
        "stop, pause, resume and tags from the page");
  }

  static std::string Who(const Caller& caller) {
    return absl::StrCat(caller.name, " via the dashboard");
  }
};

absl::StatusOr<std::unique_ptr<DashboardServer>> DashboardServer::Start(
    Scheduler* scheduler, const DashboardOptions& options) {
  auto impl = std::make_unique<Impl>(scheduler, options);
  if (!options.tokens_file.empty()) {
    Authorizer::Options auth_options;
    auth_options.tokens_file = options.tokens_file;
    absl::StatusOr<std::unique_ptr<Authorizer>> auth = Authorizer::Open(auth_options);
    if (!auth.ok()) return auth.status();
    impl->auth = std::move(*auth);
  }
  const size_t colon = options.listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("dashboard address '", options.listen, "' is not HOST:PORT"));
  }
  impl->host = options.listen.substr(0, colon);
  if (options.tls.enabled()) {
    // The scheduler's own certificate and key (TlsServerFiles), checked as for gRPC.
    if (absl::StatusOr<TlsServerPem> pem = ReadServerPem(options.tls); !pem.ok()) {
      return pem.status();
    }
    auto https = std::make_unique<httplib::SSLServer>(options.tls.cert_file.c_str(),
                                                      options.tls.key_file.c_str());
    if (!https->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat("dashboard: cannot use ",
                                                     options.tls.cert_file, " and ",
                                                     options.tls.key_file, " for TLS"));
    }
    impl->http = std::move(https);
    impl->scheme = "https";
  } else {
    impl->http = std::make_unique<httplib::Server>();
  }
  const int threads = std::max(2, options.threads);
  impl->http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl->http->set_exception_handler([](const auto&, auto& res, std::exception_ptr) {
    SendError(res, absl::InternalError("internal error"));
  });
  impl->ServeAssets();
  impl->ServeReads();
  impl->ServeActions();
  impl->port = port == 0 ? impl->http->bind_to_any_port(impl->host)
                         : (impl->http->bind_to_port(impl->host, port) ? port : -1);
  if (impl->port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("dashboard cannot listen on ", options.listen, " (address in use?)"));
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->http->listen_after_bind(); });
  // httplib's stop() does nothing until the listening loop has started, so a server stopped
  // right after Start (`augur run` on a finished sweep) would never end its accept(): wait for
  // the loop (it starts at once; the bound keeps a broken start from hanging the caller).
  for (int i = 0; i < 5000 && !impl->http->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::unique_ptr<DashboardServer>(new DashboardServer(std::move(impl)));
}

DashboardServer::DashboardServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DashboardServer::~DashboardServer() { Stop(); }

std::string DashboardServer::url() const {
  return absl::StrCat(impl_->scheme, "://", impl_->host, ":", impl_->port, "/");
}

int DashboardServer::port() const { return impl_->port; }

std::vector<std::string> DashboardServer::endpoints() const { return impl_->endpoints; }

void DashboardServer::Stop() {
  {
    absl::MutexLock lock(&impl_->stop_mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->http->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<DashboardServer>> StartUnlessOff(Scheduler* scheduler,
                                                                const DashboardOptions& options) {
  if (options.listen == "off") return std::unique_ptr<DashboardServer>();
  return DashboardServer::Start(scheduler, options);
}

}  // namespace augur::dashboard
