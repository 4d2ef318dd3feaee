#include "app/daemon.hpp"

#include "app/data_dir.hpp"
#include "app/exit_code.hpp"

#include <conf/version.hpp>

#include <fmt/format.h>

#include "recording/repair.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>

namespace conf::daemon {

namespace {

[[noreturn]] void exit_now(int code) {
    std::fflush(stdout);
    std::fflush(stderr);
    // Nothing else runs: no destructors that might wait on what is stuck.
    std::_Exit(code);
}

} // namespace

Daemon::Daemon(Settings settings)
    : settings_(std::move(settings)), logger_("confd"),
      loop_(GRef<GMainLoop>::adopt(g_main_loop_new(nullptr, FALSE))) {}

Daemon::~Daemon() {
    if (stopper_.joinable()) {
        stopper_.join();
    }
    signals_.clear();
    if (shutdown_deadline_) {
        g_source_destroy(shutdown_deadline_.get());
    }
    http_.reset();
    grpc_.reset();
    if (engine_ && rooms_) {
        // Only reached when start() failed half-way: the registry must go on its thread.
        (void)engine_->submit([this] { rooms_.reset(); }).wait_for(std::chrono::seconds(5));
    }
    engine_.reset();
}

int Daemon::run() {
    // Watch signals before anything starts, so an early SIGTERM still stops gracefully.
    signals_.push_back(std::make_unique<SignalWatch>(SIGINT, [this] { on_signal("SIGINT"); }));
    signals_.push_back(std::make_unique<SignalWatch>(SIGTERM, [this] { on_signal("SIGTERM"); }));

    logger_.info("confd {} starting: http {}, grpc {}, data_dir \"{}\"", conf::version(),
                 settings_.http.to_string(), settings_.grpc.to_string(),
                 settings_.data_dir.string());
    if (settings_.shutdown_timeout <= settings_.pipeline_stop_timeout) {
        logger_.warn("shutdown_timeout_ms ({}) is not above media.pipeline_stop_timeout_ms ({}): "
                     "a pipeline still draining at shutdown will be cut off",
                     settings_.shutdown_timeout.count(), settings_.pipeline_stop_timeout.count());
    }
    if (Status status = start(); !status.is_ok()) {
        fmt::print(stderr, "confd: {}\n", status.message());
        return kExitFailure;
    }

    // The one line tools and people wait for; flushed, since stdout may be a pipe.
    fmt::print("confd listening on {} (grpc {})\n", http_->url(), grpc_->address());
    std::fflush(stdout);
    logger_.info("confd ready");

    g_main_loop_run(loop_.get());

    if (stopper_.joinable()) {
        stopper_.join();
    }
    logger_.info("confd stopped");
    return kExitOk;
}

Status Daemon::start() {
    if (Status status = prepare_data_dir(settings_.data_dir); !status.is_ok()) {
        return status;
    }
    auto engine = Engine::create({
        .name = "confd",
        .data_dir = settings_.data_dir,
        .pipeline_stop_timeout = settings_.pipeline_stop_timeout,
    });
    if (!engine.is_ok()) {
        return engine.status().with_context("cannot start the media engine");
    }
    engine_ = std::move(engine).value();

    // Recordings a crash left in RECORDING become INTERRUPTED before anything records again.
    for (const RepairReport& report : repair_recordings(settings_.rooms.recordings_dir)) {
        if (report.outcome == RepairReport::Outcome::kRepaired) {
            logger_.warn("recording {} was interrupted; repaired ({:.1f} s recorded)",
                         report.recording_id, static_cast<double>(report.duration_ns) / 1e9);
        } else {
            logger_.error("recording at {}: {}: {}", report.manifest.string(),
                          to_string(report.outcome), report.status.message());
        }
    }
    if (Status status = start_auth(); !status.is_ok()) {
        return status;
    }
    event_log_ = std::make_unique<EventLog>(settings_.event_replay_buffer);
    event_feed_ = std::make_unique<RoomEventFeed>(*event_log_);
    auto created = engine_->submit([this] {
        room_events_ = std::make_unique<RoomEventHub>();
        room_listeners_ = std::make_unique<RoomListenerFanout>(
            std::vector<Room::Listener*>{room_events_.get(), event_feed_.get()});
        RoomRegistryOptions options = settings_.rooms;
        options.room_listener = room_listeners_.get();
        rooms_ = std::make_unique<RoomRegistry>(engine_->impl(), options);
    });
    if (Status status = created.get(); !status.is_ok()) {
        return status.with_context("cannot create the room registry");
    }
    if (settings_.rooms.record_every_room) {
        logger_.info("profile recorder: every WHIP publish is recorded under {}",
                     settings_.rooms.recordings_dir.string());
    }

    // HTTP first: join links name its address.
    auto http = HttpServer::start(settings_.http, *engine_, *rooms_, *room_events_,
                                  *participant_auth_, settings_.data_dir / "hls", settings_.tls);
    if (!http.is_ok()) {
        return http.status();
    }
    http_ = std::move(http).value();
    return start_grpc();
}

Status Daemon::start_auth() {
    std::vector<OperatorKey> keys;
    for (const OperatorKeySettings& key : settings_.auth.operator_keys) {
        OperatorKey parsed;
        parsed.name = key.name;
        parsed.hash = parse_key_hash(key.hash).value(); // checked by the config validator
        for (const std::string& scope : key.scopes) {
            parsed.scopes.insert(*parse_scope(scope));
        }
        keys.push_back(std::move(parsed));
    }
    operator_auth_ = std::make_unique<OperatorAuth>(OperatorKeyring(std::move(keys)));
    if (!operator_auth_->enabled()) {
        logger_.warn("AUTH IS OFF: gRPC takes every call without an operator key. Fine on "
                     "loopback for development; configure auth.operator_keys for anything else");
    }

    token_signer_ = settings_.auth.token_signer;
    if (!token_signer_) {
        token_signer_ = JoinTokenSigner::ephemeral();
        logger_.warn("JOIN TOKENS ARE OFF: anyone who reaches the HTTP port may join any room. "
                     "Tokens from CreateJoinToken are checked when presented, signed with a key "
                     "that dies with this process; set auth.join_tokens.key_file to require them");
    } else {
        logger_.info("join tokens ({}) {}", to_string(token_signer_->algorithm()),
                     settings_.auth.tokens_required ? "required to join"
                                                    : "checked when presented (not required)");
    }
    participant_auth_ =
        std::make_unique<ParticipantAuth>(*token_signer_, settings_.auth.tokens_required);
    return Status::ok();
}

Status Daemon::start_grpc() {
    std::string base_url = settings_.auth.public_url;
    if (base_url.empty()) {
        base_url = http_->url();
        if (!base_url.empty() && base_url.back() == '/') {
            base_url.pop_back();
        }
    }
    api_ = std::make_unique<ApiContext>(
        ApiContext{*engine_, *rooms_, *operator_auth_, *token_signer_, *event_log_,
                   settings_.auth.max_token_ttl, base_url, settings_.rooms.recordings_dir,
                   settings_.rooms.auto_create});
    room_service_ = std::make_unique<RoomService>(*api_);
    recording_service_ = std::make_unique<RecordingService>(*api_);
    event_service_ = std::make_unique<EventService>(*api_);
    stream_service_ = std::make_unique<StreamService>(*api_);
    auto grpc = GrpcServer::start({settings_.grpc,
                                   settings_.tls,
                                   {room_service_.get(), recording_service_.get(),
                                    event_service_.get(), stream_service_.get()}});
    if (!grpc.is_ok()) {
        return grpc.status();
    }
    grpc_ = std::move(grpc).value();
    return Status::ok();
}

void Daemon::on_signal(std::string_view name) {
    if (stopping_) {
        logger_.warn("{} during shutdown: exiting now", name);
        exit_now(kExitFailure);
    }
    stopping_ = true;
    logger_.info("{} received: stopping (at most {} ms)", name, settings_.shutdown_timeout.count());
    if (http_) {
        http_->stop();
    }

    GSource* deadline =
        g_timeout_source_new(static_cast<guint>(settings_.shutdown_timeout.count()));
    g_source_set_callback(
        deadline,
        [](gpointer self) noexcept -> gboolean {
            auto* daemon = static_cast<Daemon*>(self);
            daemon->logger_.error("graceful stop took longer than {} ms: exiting now",
                                  daemon->settings_.shutdown_timeout.count());
            exit_now(kExitFailure);
        },
        this, nullptr);
    g_source_attach(deadline, nullptr);
    shutdown_deadline_ = GRef<GSource>::adopt(deadline);

    stop_in_background();
}

void Daemon::stop_in_background() {
    stopper_ = std::thread([this] {
        try {
            // Sessions and recordings first (they are what an operator would lose), then
            // in-flight gRPC calls, then the media engine.
            stop_rooms(settings_.shutdown_timeout / 2);
            if (event_service_) {
                event_service_->close(); // watchers would hold the gRPC shutdown for its grace
            }
            if (grpc_) {
                grpc_->shutdown(settings_.shutdown_timeout / 4);
            }
            if (engine_) {
                if (Status status = engine_->stop(); !status.is_ok()) {
                    logger_.warn("media engine stop: {}", status.to_string());
                }
            }
        } catch (const std::exception& e) {
            logger_.error("graceful stop failed: {}", e.what());
        }
        g_main_loop_quit(loop_.get()); // thread-safe: wakes the main context
    });
}

void Daemon::stop_rooms(std::chrono::milliseconds budget) {
    if (!engine_ || !rooms_) {
        return;
    }
    auto finished = std::make_shared<std::promise<void>>();
    auto posted = engine_->submit(
        [this, finished] { rooms_->shutdown([finished] { finished->set_value(); }); });
    if (!posted.get().is_ok() ||
        finished->get_future().wait_for(budget) != std::future_status::ready) {
        logger_.error("sessions did not all end within {} ms", budget.count());
    } else {
        logger_.info("all sessions ended, recordings finalized");
    }
    (void)engine_->submit([this] { rooms_.reset(); }).wait_for(budget);
}

} // namespace conf::daemon
