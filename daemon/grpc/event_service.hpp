// EventService (conf.v1): WatchEvents streams the EventLog. Each watcher is a write reactor
// with a cursor into the log: it writes one event at a time and, when a write completes or
// the log wakes it, takes the next. Nothing is queued per watcher, so a slow watcher costs
// the media thread nothing; once the log has dropped events it had not read yet, its stream
// ends with RESOURCE_EXHAUSTED.
#pragma once

#include "conf/v1/event_service.grpc.pb.h"
#include "grpc/api_context.hpp"

#include <memory>
#include <mutex>
#include <set>

namespace conf::daemon {

class EventService final : public ::conf::v1::EventService::CallbackService {
  public:
    explicit EventService(ApiContext& api);
    ~EventService() override;

    grpc::ServerWriteReactor<::conf::v1::Event>*
    WatchEvents(grpc::CallbackServerContext* context,
                const ::conf::v1::WatchEventsRequest* request) override;

    // Ends every stream with UNAVAILABLE ("confd is stopping"); later calls get it at once.
    void close();

  private:
    class Watcher;
    friend class Watcher;

    ApiContext& api_;
    std::mutex mutex_;
    std::set<Watcher*> watchers_;
    bool closed_ = false;
};

} // namespace conf::daemon
