#include "grpc/event_service.hpp"

#include <fmt/format.h>

namespace conf::daemon {

namespace {
using ::conf::v1::Event;
}

class EventService::Watcher final : public grpc::ServerWriteReactor<Event> {
  public:
    Watcher(EventService& service, std::string room, std::uint64_t cursor)
        : service_(service), room_(std::move(room)), cursor_(cursor),
          logger_(Logger("confd").with("grpc", "events")) {
        gate_->watcher = this;
    }

    // Registers with the log and writes what is already there after the cursor.
    void begin() {
        // Headers go out now, so a client knows its watch is in place before any event.
        StartSendInitialMetadata();
        // A wake-up may be running on the media thread while the stream ends: it goes through
        // the gate, which OnDone closes before this object is deleted.
        watch_ = service_.api_.events.watch([gate = gate_] {
            std::lock_guard lock(gate->mutex);
            if (gate->watcher != nullptr) {
                gate->watcher->pump();
            }
        });
        pump();
    }

    void end(const grpc::Status& status) {
        std::lock_guard lock(mutex_);
        finish_locked(status);
    }

    void OnWriteDone(bool ok) override {
        {
            std::lock_guard lock(mutex_);
            writing_ = false;
            if (!ok) {
                finish_locked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke"));
                return;
            }
        }
        pump();
    }

    void OnCancel() override { end(grpc::Status::CANCELLED); }

    void OnDone() override {
        watch_.reset();
        {
            std::lock_guard lock(gate_->mutex);
            gate_->watcher = nullptr; // no wake-up reaches this object after this
        }
        {
            std::lock_guard lock(service_.mutex_);
            service_.watchers_.erase(this);
        }
        delete this;
    }

  private:
    // Writes the next event after the cursor if no write is in flight.
    void pump() {
        std::lock_guard lock(mutex_);
        while (!writing_ && !finished_) {
            auto read = service_.api_.events.read_after(cursor_, 1);
            if (read.lost) {
                logger_.warn("a watcher fell more than the replay buffer behind; ending its "
                             "stream");
                finish_locked(grpc::Status(
                    grpc::StatusCode::RESOURCE_EXHAUSTED,
                    fmt::format("this watcher fell more than events.replay_buffer events behind "
                                "and missed events after sequence {}; resume from it if it is "
                                "still kept, else list the state and watch from now",
                                cursor_)));
                return;
            }
            if (read.events.empty()) {
                return;
            }
            const auto& event = read.events.front();
            cursor_ = event->sequence();
            if (!room_.empty() && event->room() != room_) {
                continue;
            }
            current_ = event; // kept alive until the write is done
            writing_ = true;
            StartWrite(current_.get());
        }
    }

    void finish_locked(const grpc::Status& status) {
        if (!finished_) {
            finished_ = true;
            Finish(status);
        }
    }

    struct Gate {
        std::mutex mutex;
        Watcher* watcher = nullptr;
    };

    EventService& service_;
    std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
    const std::string room_;
    std::mutex mutex_;
    std::uint64_t cursor_;
    std::shared_ptr<const Event> current_;
    bool writing_ = false;
    bool finished_ = false;
    std::unique_ptr<EventLog::Watch> watch_;
    Logger logger_;
};

EventService::EventService(ApiContext& api) : api_(api) {}

EventService::~EventService() = default;

grpc::ServerWriteReactor<Event>*
EventService::WatchEvents(grpc::CallbackServerContext* context,
                          const ::conf::v1::WatchEventsRequest* request) {
    EventLog& log = api_.events;
    grpc::Status refused = api_.auth.check(context, Scope::kEvents, "WatchEvents");
    std::uint64_t after = request->after_sequence();
    std::uint64_t last = log.last_sequence();
    if (refused.ok() && !request->room().empty() && !is_valid_name(request->room())) {
        refused = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               fmt::format("room '{}' is not a valid room name", request->room()));
    }
    if (refused.ok() && !request->epoch().empty() && request->epoch() != log.epoch()) {
        refused = grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                               fmt::format("epoch '{}' is from another run of confd (this run is "
                                           "'{}'): list the state and watch from now",
                                           request->epoch(), log.epoch()));
    }
    if (refused.ok() && after > last) {
        refused = grpc::Status(
            grpc::StatusCode::OUT_OF_RANGE,
            fmt::format("after_sequence {} is ahead of the latest event ({}); was confd "
                        "restarted? List the state and watch from now",
                        after, last));
    }
    if (refused.ok() && after != 0 && after + 1 < log.oldest_sequence()) {
        refused = grpc::Status(
            grpc::StatusCode::OUT_OF_RANGE,
            fmt::format("after_sequence {} is older than the replay buffer (oldest kept: {}); "
                        "list the state and watch from now",
                        after, log.oldest_sequence()));
    }
    {
        std::lock_guard lock(mutex_);
        if (refused.ok() && closed_) {
            refused = grpc::Status(grpc::StatusCode::UNAVAILABLE, "confd is stopping");
        }
    }
    auto* watcher = new Watcher(*this, request->room(), after == 0 ? last : after);
    if (!refused.ok()) {
        watcher->end(refused);
        return watcher;
    }
    {
        std::lock_guard lock(mutex_);
        watchers_.insert(watcher);
    }
    watcher->begin();
    return watcher;
}

void EventService::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (Watcher* watcher : watchers_) {
        watcher->end(grpc::Status(grpc::StatusCode::UNAVAILABLE, "confd is stopping"));
    }
}

} // namespace conf::daemon
