#include "events/event_log.hpp"

#include "recording/manifest_store.hpp"

#include <fmt/format.h>
#include <glib.h>

#include <chrono>

namespace conf::daemon {

namespace {

std::string new_epoch() {
    // Only needs to differ between runs; not a secret.
    return fmt::format("{:08x}{:08x}", g_random_int(), g_random_int());
}

} // namespace

EventLog::EventLog(std::size_t capacity) : capacity_(capacity), epoch_(new_epoch()) {}

void EventLog::append(::conf::v1::Event event) {
    *event.mutable_time() = to_timestamp(std::chrono::system_clock::now());
    event.set_epoch(epoch_);
    std::vector<std::shared_ptr<Wakeup>> wake;
    {
        std::lock_guard lock(mutex_);
        event.set_sequence(++last_);
        events_.push_back(std::make_shared<const ::conf::v1::Event>(std::move(event)));
        if (events_.size() > capacity_) {
            events_.pop_front();
        }
        for (const auto& [id, wakeup] : watchers_) {
            wake.push_back(wakeup);
        }
    }
    for (const auto& wakeup : wake) {
        (*wakeup)();
    }
}

EventLog::Read EventLog::read_after(std::uint64_t after, std::size_t max) const {
    Read read;
    std::lock_guard lock(mutex_);
    std::uint64_t oldest = last_ + 1 - events_.size();
    if (after + 1 < oldest) {
        read.lost = true;
        return read;
    }
    for (std::uint64_t seq = after + 1; seq <= last_ && read.events.size() < max; ++seq) {
        read.events.push_back(events_[seq - oldest]);
    }
    return read;
}

std::uint64_t EventLog::last_sequence() const {
    std::lock_guard lock(mutex_);
    return last_;
}

std::uint64_t EventLog::oldest_sequence() const {
    std::lock_guard lock(mutex_);
    return last_ + 1 - events_.size();
}

std::unique_ptr<EventLog::Watch> EventLog::watch(Wakeup wakeup) {
    std::lock_guard lock(mutex_);
    std::uint64_t id = next_watch_++;
    watchers_.emplace_back(id, std::make_shared<Wakeup>(std::move(wakeup)));
    return std::unique_ptr<Watch>(new Watch(this, id));
}

void EventLog::unwatch(std::uint64_t id) {
    std::shared_ptr<Wakeup> released; // destroyed outside the lock
    std::lock_guard lock(mutex_);
    for (auto it = watchers_.begin(); it != watchers_.end(); ++it) {
        if (it->first == id) {
            released = std::move(it->second);
            watchers_.erase(it);
            return;
        }
    }
}

EventLog::Watch::~Watch() {
    if (log_ != nullptr) {
        log_->unwatch(id_);
    }
}

} // namespace conf::daemon
