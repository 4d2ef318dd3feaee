#include "http/socket_link.hpp"

namespace conf::daemon {

void SocketLink::send(std::string text) {
    enqueue({false, 0, std::move(text)});
}

void SocketLink::close(int code, std::string reason) {
    enqueue({true, code, std::move(reason)});
}

void SocketLink::enqueue(Item item) {
    {
        std::lock_guard lock(mutex_);
        if (closed_) {
            return;
        }
        closed_ = item.close;
        queue_.push_back(std::move(item));
        if (scheduled_) {
            return;
        }
        scheduled_ = true;
    }
    auto self = new std::shared_ptr<SocketLink>(shared_from_this());
    g_main_context_invoke_full(
        http_context_.get(), G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
            (*static_cast<std::shared_ptr<SocketLink>*>(data))->flush();
            return G_SOURCE_REMOVE;
        },
        self, [](gpointer data) { delete static_cast<std::shared_ptr<SocketLink>*>(data); });
}

void SocketLink::flush() {
    std::vector<Item> items;
    {
        std::lock_guard lock(mutex_);
        items.swap(queue_);
        scheduled_ = false;
    }
    auto sink = sink_.lock();
    if (!sink) {
        return;
    }
    for (const Item& item : items) {
        if (item.close) {
            sink->close_with(item.code, item.text);
        } else {
            sink->write_text(item.text);
        }
    }
}

} // namespace conf::daemon
