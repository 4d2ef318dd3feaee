// hello_engine: the smallest libconf program. It starts an Engine, runs a task on the media
// thread and reads back what the task computed, then shows that a stopped engine refuses new
// work. It uses only libconf's public headers, as any app would.
#include <conf/engine.hpp>
#include <conf/version.hpp>

#include <pthread.h>

#include <iostream>
#include <memory>
#include <string>
#include <utility>

namespace {

struct ThreadInfo {
    bool on_media_thread = false;
    std::string name;
};

std::string current_thread_name() {
    char name[16] = {}; // Linux thread names are at most 15 characters
    if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0) {
        return "?";
    }
    return name;
}

const char* yes_no(bool value) {
    return value ? "yes" : "no";
}

} // namespace

int main() {
    // The library actually loaded can be newer than the headers this program was built with.
    std::cout << "libconf " << conf::version() << " (headers " << CONF_VERSION_STRING << ")\n";

    auto created = conf::Engine::create({.name = "hello"});
    if (!created) {
        std::cerr << "cannot create the engine: " << created.status().to_string() << "\n";
        return 1;
    }
    std::unique_ptr<conf::Engine> engine = std::move(created).value();

    // submit() runs `where` on the media thread; the future delivers a Result<ThreadInfo>.
    conf::Engine* e = engine.get();
    auto where = [e] {
        return ThreadInfo{e->on_media_thread(), current_thread_name()};
    };
    conf::Result<ThreadInfo> info = engine->submit(where).get();
    if (!info) {
        std::cerr << "task failed: " << info.status().to_string() << "\n";
        return 1;
    }
    std::cout << "task ran on the media thread: " << yes_no(info->on_media_thread) << " (thread '"
              << info->name << "')\n";
    std::cout << "main() runs on the media thread: " << yes_no(engine->on_media_thread())
              << " (thread '" << current_thread_name() << "')\n";

    // stop() runs whatever was already posted, then joins the media thread.
    if (conf::Status stopped = engine->stop(); !stopped) {
        std::cerr << "stop failed: " << stopped.to_string() << "\n";
        return 1;
    }
    std::cout << "engine stopped\n";

    // After stop, work is refused with kUnavailable and the task is dropped, never run.
    conf::Status late = engine->post([] { std::cout << "this never prints\n"; });
    std::cout << "post() after stop returns: " << late.to_string() << "\n";
    return late.code() == conf::StatusCode::kUnavailable ? 0 : 1;
}
