// EventLog: the ordered record of what happens in rooms that EventService streams. Events
// get a sequence number (1, 2, ...), the run's epoch and a time when appended. The last
// `capacity` events are kept so a watcher can resume after its last sequence; one that falls
// further behind than that has lost events and is told so (Read::lost).
// Appending never waits on a watcher: it takes a short lock, then calls each watcher's wake-up,
// which must only schedule work. Any thread.
#pragma once

#include "conf/v1/event_service.pb.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace conf::daemon {

class EventLog {
  public:
    using Wakeup = std::function<void()>;

    explicit EventLog(std::size_t capacity);
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    // Stamps sequence, epoch and time, keeps it, and wakes every watcher.
    void append(::conf::v1::Event event);

    struct Read {
        std::vector<std::shared_ptr<const ::conf::v1::Event>> events; // sequence order
        // Events after the cursor were dropped before they were read.
        bool lost = false;
    };
    // Up to `max` events with sequence > `after`.
    Read read_after(std::uint64_t after, std::size_t max) const;

    // 0 before the first event.
    std::uint64_t last_sequence() const;
    // The sequence of the oldest event kept (last_sequence() + 1 when none is kept).
    std::uint64_t oldest_sequence() const;
    const std::string& epoch() const noexcept { return epoch_; }

    // `wakeup` runs after each append (on the appending thread) until the returned handle is
    // destroyed. It must not block.
    class Watch {
      public:
        Watch() = default;
        ~Watch();
        Watch(const Watch&) = delete;
        Watch& operator=(const Watch&) = delete;

      private:
        friend class EventLog;
        Watch(EventLog* log, std::uint64_t id) : log_(log), id_(id) {}
        EventLog* log_ = nullptr;
        std::uint64_t id_ = 0;
    };
    [[nodiscard]] std::unique_ptr<Watch> watch(Wakeup wakeup);

  private:
    void unwatch(std::uint64_t id);

    const std::size_t capacity_;
    const std::string epoch_;
    mutable std::mutex mutex_;
    std::deque<std::shared_ptr<const ::conf::v1::Event>> events_;
    std::uint64_t last_ = 0;
    std::uint64_t next_watch_ = 1;
    std::vector<std::pair<std::uint64_t, std::shared_ptr<Wakeup>>> watchers_;
};

} // namespace conf::daemon
